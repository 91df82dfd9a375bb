"""PNG snapshots on the server: plotly figures rendered by kaleido (headless Chromium).

One kaleido sync server per process, started on first use and kept warm: a cold
export starts Chromium (~2-3 s), a warm one takes ~0.2 s. kaleido 1.x finds the
system Chromium (``/usr/bin/chromium``; ``BROWSER_PATH`` overrides).

The board view is drawn as a plotly figure in pixel coordinates: one column per
stage with a header in the stage's colour (name, count, value, conversion), the
top cards below it, and a stamp with the board's name, filters and the moment.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

MIN_WIDTH, MAX_WIDTH = 200, 3840
MIN_HEIGHT, MAX_HEIGHT = 200, 2160

_lock = threading.Lock()
_started = False


class SnapshotUnavailable(Exception):
    """No browser to render with (or it failed): the API answers 503, never a blank PNG."""


def browser_path() -> str | None:
    path = os.environ.get("BROWSER_PATH")
    if path:
        return path if os.path.exists(path) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _ensure_server() -> None:
    global _started
    if _started:
        return
    import kaleido

    kaleido.start_sync_server(silence_warnings=True)
    atexit.register(_stop_server)
    _started = True


def _stop_server() -> None:
    global _started
    if _started:
        import kaleido

        try:
            kaleido.stop_sync_server(silence_warnings=True)
        finally:
            _started = False


def render_png(fig: go.Figure | dict[str, Any], *, width: int, height: int) -> bytes:
    """The figure as a PNG of exactly ``width`` x ``height`` pixels."""
    if browser_path() is None:
        raise SnapshotUnavailable("No Chromium on this server to render snapshots with.")
    import kaleido

    with _lock:  # one Chromium tab serves the process; renders queue
        _ensure_server()
        try:
            png = kaleido.calc_fig_sync(
                fig, opts={"format": "png", "width": width, "height": height, "scale": 1}
            )
        except Exception as error:  # kaleido/Chromium failures: report, never a blank image
            raise SnapshotUnavailable(f"Rendering failed: {error}") from error
    if not isinstance(png, bytes | bytearray) or not png.startswith(b"\x89PNG"):
        raise SnapshotUnavailable("Rendering gave no PNG.")
    return bytes(png)


# --- The board, drawn server-side ---

STAMP_HEIGHT = 36
HEADER_HEIGHT = 64
CARD_HEIGHT = 40
CARD_GAP = 6
COLUMN_GAP = 10
PADDING = 12


def cards_that_fit(height: int) -> int:
    room = height - STAMP_HEIGHT - HEADER_HEIGHT - 2 * PADDING
    return max(1, min(500, room // (CARD_HEIGHT + CARD_GAP)))


def board_figure(
    *,
    board_name: str,
    stages: list[dict[str, Any]],
    conversions: dict[int, float | None],
    filters: str,
    moment: datetime,
    width: int,
    height: int,
) -> go.Figure:
    """``stages``: the board state's stages (name, color, count, value, leads)."""
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    small = max(9, min(14, width // 120))
    stamp = f"<b>{escape(board_name)}</b> · {escape(filters or 'all leads')} · " + moment.strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    notes.append(text(PADDING, height - STAMP_HEIGHT / 2, stamp, size=small + 2, anchor="left"))
    count = max(1, len(stages))
    column_width = (width - 2 * PADDING - (count - 1) * COLUMN_GAP) / count
    top = height - STAMP_HEIGHT - PADDING
    for index, stage in enumerate(stages):
        x0 = PADDING + index * (column_width + COLUMN_GAP)
        x1 = x0 + column_width
        color = stage.get("color") or "#64748b"
        shapes.append(rect(x0, top - HEADER_HEIGHT, x1, top, fill=color, line=color))
        conversion = conversions.get(int(stage["id"]))
        line2 = f"{stage['count']} · {stage['value']:,.0f}"
        if conversion is not None:
            line2 += f" · → {conversion:.0%}"
        label = f"<b>{escape(stage['name'])}</b><br>{line2}"
        notes.append(text((x0 + x1) / 2, top - HEADER_HEIGHT / 2, label, size=small, color="#fff"))
        y = top - HEADER_HEIGHT - CARD_GAP
        for card in stage["leads"]:
            if y - CARD_HEIGHT < PADDING:
                break
            shapes.append(rect(x0, y - CARD_HEIGHT, x1, y, fill="#ffffff", line="#cbd5e1"))
            shapes.append(rect(x0, y - CARD_HEIGHT, x0 + 4, y, fill=color, line=color))
            name = clip(card["name"], column_width, small)
            company = clip(card.get("company") or "", column_width, small - 1)
            notes.append(
                text(
                    x0 + 10,
                    y - CARD_HEIGHT / 2,
                    f"{escape(name)}<br><span style='color:#64748b'>{escape(company)}</span>",
                    size=small - 1,
                    anchor="left",
                    color="#0f172a",
                )
            )
            y -= CARD_HEIGHT + CARD_GAP
    fig = go.Figure()
    fig.update_layout(
        width=width,
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="#f1f5f9",
        plot_bgcolor="#f1f5f9",
        xaxis={"range": [0, width], "visible": False, "fixedrange": True},
        yaxis={"range": [0, height], "visible": False, "fixedrange": True},
        shapes=shapes,
        annotations=notes,
        showlegend=False,
        font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif"},
    )
    return fig


def rect(x0: float, y0: float, x1: float, y1: float, *, fill: str, line: str) -> dict[str, Any]:
    return {
        "type": "rect",
        "xref": "x",
        "yref": "y",
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "fillcolor": fill,
        "line": {"color": line, "width": 1},
        "layer": "below",
    }


def text(
    x: float, y: float, label: str, *, size: int, anchor: str = "center", color: str = "#0f172a"
) -> dict[str, Any]:
    return {
        "x": x,
        "y": y,
        "xref": "x",
        "yref": "y",
        "text": label,
        "showarrow": False,
        "xanchor": anchor,
        "yanchor": "middle",
        "align": anchor if anchor != "center" else "center",
        "font": {"size": size, "color": color},
    }


def clip(value: str, column_width: float, size: int) -> str:
    room = max(4, int((column_width - 16) / (size * 0.6)))
    return value if len(value) <= room else value[: room - 1] + "…"


def escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
