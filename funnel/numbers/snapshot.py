"""PNG snapshots on the server: plotly figures rendered by kaleido (headless Chromium).

One renderer per process, started on first use and kept warm: a Chromium tab
driven by kaleido on an event loop of its own thread. A cold export starts
Chromium (~2-3 s). kaleido reloads the tab's page (plotly.js, ~120 ms of CPU)
before it hands back each image; the renderer reloads it every ``RELOAD_EVERY``
renders instead, after the image is handed back, so a warm render costs what
plotly.js and the PNG encoding cost (~40 ms for a small chart, ~200 ms for a 4K
board). kaleido 1.x finds the system Chromium (``/usr/bin/chromium``;
``BROWSER_PATH`` overrides).

The board view is drawn as a plotly figure in pixel coordinates: one column per
stage with a header in the stage's colour (name, count, value, conversion), the
top cards below it, and a stamp with the board's name, filters and the moment.
It is a plain figure dict (no plotly.py validation: ~50 ms saved at 4K) of a few
scatter traces: the rectangles as filled outlines, one trace per colour, and the
texts as one trace of text, which plotly.js lays out in one pass where each
annotation (as the board was drawn before) costs a layout of its own.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import shutil
import threading
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from leads.currencies import DEFAULT_CURRENCY, money_text

MIN_WIDTH, MAX_WIDTH = 200, 3840
MIN_HEIGHT, MAX_HEIGHT = 200, 2160
# One tab (a second one costs ~250 MB and would only serve while the first reloads).
TABS = 1
# The tab's page (plotly.js) is reloaded after this many renders: a fresh page for
# each render, as kaleido does, costs ~120 ms of CPU per render.
RELOAD_EVERY = 50
START_TIMEOUT = 60  # seconds for Chromium to start
RENDER_TIMEOUT = 30  # seconds for one render; then the renderer is restarted

logger = logging.getLogger(__name__)
_lock = threading.Lock()


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


class Renderer:
    """kaleido on an event loop of its own (daemon) thread; callers block on its futures.

    kaleido's own sync server blocks its event loop while it waits for the next task,
    so a reload left to run in the background would only start with the next
    render; here the loop always runs."""

    def __init__(self, path: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="snapshot-renderer", daemon=True
        )
        self.thread.start()
        try:
            self.kaleido = self.run(open_kaleido(path), timeout=START_TIMEOUT)
        except BaseException:
            self.stop_loop()
            raise

    def run(self, coroutine: Any, *, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def render(self, fig: Any, opts: dict[str, Any]) -> bytes:
        if self.kaleido.reload_failure is not None:
            raise RuntimeError(f"a tab failed to reload: {self.kaleido.reload_failure}")
        return self.run(self.kaleido.calc_fig(fig, opts=opts), timeout=RENDER_TIMEOUT)

    def close(self) -> None:
        try:
            self.run(close_kaleido(self.kaleido), timeout=10)
        except Exception:  # closing a broken browser: nothing more to do than stop
            logger.warning("snapshot renderer: closing Chromium failed", exc_info=True)
        finally:
            self.stop_loop()

    def stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


async def open_kaleido(path: str) -> Any:
    import kaleido

    class WarmKaleido(kaleido.Kaleido):
        """A kaleido whose tabs reload every ``RELOAD_EVERY`` renders, after the image
        is handed back, instead of before handing back each one."""

        reload_failure: BaseException | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.reloads: set[asyncio.Task[None]] = set()
            self.renders: dict[int, int] = {}  # per tab, since its last reload

        async def _return_kaleido_tab(self, tab: Any) -> None:
            # kaleido awaits this (reload, then back in the queue) before it returns
            # the image. Most renders put the tab straight back; every RELOAD_EVERY-th
            # a background task reloads it and puts it back after.
            renders = self.renders.get(id(tab), 0) + 1
            if renders < RELOAD_EVERY:
                self.renders[id(tab)] = renders
                await self.tabs_ready.put(tab)
                return
            self.renders[id(tab)] = 0
            task = asyncio.create_task(super()._return_kaleido_tab(tab))
            self.reloads.add(task)
            task.add_done_callback(self.reloaded)

        def reloaded(self, task: asyncio.Task[None]) -> None:
            self.reloads.discard(task)
            if not task.cancelled() and task.exception() is not None:
                # That tab is lost; the next render restarts the renderer.
                self.reload_failure = task.exception()

    # No MathJax: the figures have no LaTeX, and it would come from a CDN on every reload.
    warm = WarmKaleido(path=path, n=TABS, mathjax=False, timeout=RENDER_TIMEOUT)
    await warm.open()
    return warm


async def close_kaleido(warm: Any) -> None:
    """Close Chromium, then end what still runs on the loop (reloads, readers)."""
    try:
        await warm.close()
    finally:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


_renderer: Renderer | None = None


def _stop_renderer() -> None:
    global _renderer
    renderer, _renderer = _renderer, None
    if renderer is not None:
        renderer.close()


atexit.register(_stop_renderer)


def render_png(fig: go.Figure | dict[str, Any], *, width: int, height: int) -> bytes:
    """The figure as a PNG of exactly ``width`` x ``height`` pixels."""
    global _renderer
    path = browser_path()
    if path is None:
        raise SnapshotUnavailable("No Chromium on this server to render snapshots with.")
    opts = {"format": "png", "width": width, "height": height, "scale": 1}
    with _lock:  # renders queue: one at a time per process
        try:
            if _renderer is None:
                _renderer = Renderer(path)
            png = _renderer.render(fig, opts)
        except Exception as error:  # kaleido/Chromium failures: report, never a blank image
            _stop_renderer()  # the next render starts a fresh Chromium
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
    currency: str = DEFAULT_CURRENCY,
    conversions: dict[int, float | None],
    filters: str,
    moment: datetime,
    width: int,
    height: int,
) -> dict[str, Any]:
    """``stages``: the board state's stages (name, color, count, value, leads)."""
    rects = Rects()
    labels = Labels()
    small = max(9, min(14, width // 120))
    stamp = f"<b>{escape(board_name)}</b> · {escape(filters or 'all leads')} · " + moment.strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    labels.add(PADDING, height - STAMP_HEIGHT / 2, stamp, size=small + 2, anchor="left")
    count = max(1, len(stages))
    column_width = (width - 2 * PADDING - (count - 1) * COLUMN_GAP) / count
    top = height - STAMP_HEIGHT - PADDING
    for index, stage in enumerate(stages):
        x0 = PADDING + index * (column_width + COLUMN_GAP)
        x1 = x0 + column_width
        color = stage.get("color") or "#64748b"
        rects.add(x0, top - HEADER_HEIGHT, x1, top, fill=color, line=color, layer=1)
        conversion = conversions.get(int(stage["id"]))
        line2 = f"{stage['count']} · {escape(money_text(stage['value'], currency))}"
        if conversion is not None:
            line2 += f" · → {conversion:.0%}"
        label = f"<b>{escape(stage['name'])}</b><br>{line2}"
        labels.add((x0 + x1) / 2, top - HEADER_HEIGHT / 2, label, size=small, color="#fff")
        y = top - HEADER_HEIGHT - CARD_GAP
        for card in stage["leads"]:
            if y - CARD_HEIGHT < PADDING:
                break
            rects.add(x0, y - CARD_HEIGHT, x1, y, fill="#ffffff", line="#cbd5e1")
            rects.add(x0, y - CARD_HEIGHT, x0 + 4, y, fill=color, line=color, layer=1)
            name = clip(card["name"], column_width, small)
            company = clip(card.get("company") or "", column_width, small - 1)
            labels.add(
                x0 + 10,
                y - CARD_HEIGHT / 2,
                f"{escape(name)}<br><span style='color:#64748b'>{escape(company)}</span>",
                size=small - 1,
                anchor="left",
            )
            y -= CARD_HEIGHT + CARD_GAP
    return {
        "data": [*rects.traces(), labels.trace()],
        "layout": {
            "width": width,
            "height": height,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": "#f1f5f9",
            "plot_bgcolor": "#f1f5f9",
            "xaxis": {"range": [0, width], "visible": False, "fixedrange": True},
            "yaxis": {"range": [0, height], "visible": False, "fixedrange": True},
            "showlegend": False,
            "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif"},
        },
    }


class Rects:
    """The board's rectangles as filled outlines, one scatter trace per colour pair
    (~10% less render time at 4K than as many layout shapes). A higher ``layer``
    is drawn on top: a card's stripe over the card."""

    def __init__(self) -> None:
        # (layer, fill, line) -> the outlines' x and y, one None after each rectangle
        self.groups: dict[tuple[int, str, str], tuple[list[Any], list[Any]]] = {}

    def add(
        self, x0: float, y0: float, x1: float, y1: float, *, fill: str, line: str, layer: int = 0
    ) -> None:
        xs, ys = self.groups.setdefault((layer, fill, line), ([], []))
        xs.extend((x0, x1, x1, x0, x0, None))
        ys.extend((y0, y0, y1, y1, y0, None))

    def traces(self) -> list[dict[str, Any]]:
        ordered = sorted(self.groups.items(), key=lambda group: group[0][0])  # stable
        return [
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": ys,
                "fill": "toself",
                "fillcolor": fill,
                "line": {"color": line, "width": 1},
                "hoverinfo": "skip",
                "showlegend": False,
            }
            for (_, fill, line), (xs, ys) in ordered
        ]


class Labels:
    """The board's texts as one ``scatter`` trace of text: where every annotation
    is measured and placed on its own, plotly.js draws a text trace in one pass
    (~100 ms less for a 4K board's ~170 labels)."""

    # An annotation pads its text inside its box; a text trace does not: shift
    # left-anchored texts by that padding to keep them where annotations put them.
    TEXT_PAD = 2

    def __init__(self) -> None:
        self.x: list[float] = []
        self.y: list[float] = []
        self.text: list[str] = []
        self.position: list[str] = []
        self.size: list[int] = []
        self.color: list[str] = []

    def add(
        self,
        x: float,
        y: float,
        label: str,
        *,
        size: int,
        anchor: str = "center",
        color: str = "#0f172a",
    ) -> None:
        left = anchor == "left"
        self.x.append(x + self.TEXT_PAD if left else x)
        self.y.append(y)
        self.text.append(label)
        self.position.append("middle right" if left else "middle center")
        self.size.append(size)
        self.color.append(color)

    def trace(self) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "text",
            "x": self.x,
            "y": self.y,
            "text": self.text,
            "textposition": self.position,
            "textfont": {"size": self.size, "color": self.color},
            "hoverinfo": "skip",
            "cliponaxis": False,
            "showlegend": False,
        }


def clip(value: str, column_width: float, size: int) -> str:
    room = max(4, int((column_width - 16) / (size * 0.6)))
    return value if len(value) <= room else value[: room - 1] + "…"


def escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
