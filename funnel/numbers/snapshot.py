"""PNG snapshots on the server: plotly figures rendered by kaleido (headless Chromium).

One renderer per process, started on first use and kept warm: a Chromium tab
driven by kaleido on an event loop of its own thread. A cold export starts
Chromium (~2-3 s). kaleido reloads the tab's page (plotly.js, ~120 ms of CPU)
before it hands back each image; the renderer reloads it every ``RELOAD_EVERY``
renders instead, after the image is handed back, so a warm render costs what
plotly.js and the PNG encoding cost (~40 ms for a small chart, ~200 ms for a 4K
board). kaleido 1.x finds the system Chromium (``/usr/bin/chromium``;
``BROWSER_PATH`` overrides).

The board view is drawn as a plotly figure in pixel coordinates, as the browser's
whole-board export draws it (funnel/numbers/boardimage.py: the shared rules and
layout): every stage's column, none folded, with its header figures (count,
value, past SLA, conversion), the cards that fit legibly and "+N more", under a
stamp with the board's name, filters and the moment.
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

from funnel.numbers import boardimage
from leads.currencies import DEFAULT_CURRENCY

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
#
# The whole board as the browser's 4K export draws it (panels/exportdraw.js), by
# the same rules and layout (funnel/numbers/boardimage.py): every column, none
# folded, its header figures, the cards that fit legibly, "+N more", the stamp.

# The board's palette (static/board/canvas/theme.js, ``COLORS``).
PAGE = "#eef1f6"
COLUMN, COLUMN_LINE = "#f8fafc", "#dfe5ee"
CARD, CARD_LINE = "#ffffff", "#dde3ec"
INK, BODY, MUTED, AGING = "#0f172a", "#334155", "#64748b", "#dc2626"
MORE = "#eef2f7"
TEAM_COLORS = {"marketing": "#7c3aed", "sales": "#0284c7", "management": "#0f766e"}
DAY = 86_400


def cards_that_fit(width: int, height: int) -> int:
    """The most cards a column shows in the image: how many to read per stage."""
    return max(1, boardimage.cards_fit(width, height))


def stage_colour(stage: dict[str, Any]) -> str:
    return str(stage.get("color") or TEAM_COLORS.get(stage.get("team") or "", "#64748b"))


def days_in_stage(card: dict[str, Any], moment: datetime) -> int:
    entered = card.get("stage_entered_at")
    if isinstance(entered, str):
        entered = datetime.fromisoformat(entered.replace("Z", "+00:00"))
    if not isinstance(entered, datetime):
        return 0
    return max(0, int((moment - entered).total_seconds() // DAY))


def board_figure(
    *,
    board_name: str,
    stages: list[dict[str, Any]],
    currency: str = DEFAULT_CURRENCY,
    conversions: dict[int, float | None],
    stamp: dict[str, str],
    moment: datetime,
    width: int,
    height: int,
    campaign_colours: dict[int, str] | None = None,
) -> dict[str, Any]:
    """``stages``: the board state's stages in order (id, name, kind, team, color,
    count, value, overdue, wip_limit, sla_days, leads); ``stamp``: {title, detail}
    (``boardimage.stamp_text``); ``moment``: the moment shown (days in stage)."""
    rects = Rects()
    labels = Labels()
    colours = campaign_colours or {}
    layout = boardimage.whole_board_layout(
        width, height, [{"count": st["count"], "available": len(st["leads"])} for st in stages]
    )
    scale = layout["scale"]

    def px(n: float) -> int:
        return max(1, boardimage.js_round(n * scale))

    def type_px(n: float) -> int:
        return max(boardimage.RULES["minFontPx"], boardimage.js_round(n * scale))

    def up(y: float) -> float:  # the layout's y (down from the top) to the figure's (up)
        return height - y

    # The stamp's band, at the top.
    band = layout["band"]
    rects.add(0, up(band), width, up(0), fill=CARD, line=COLUMN_LINE)
    title = clip(stamp["title"], width * 0.4, type_px(16))
    labels.add(
        px(16), up(band / 2), f"<b>{escape(title)}</b>", size=type_px(16), color=INK, anchor="left"
    )
    detail_x = px(16) + len(title) * type_px(16) * 0.62 + px(14)
    labels.add(
        detail_x,
        up(band / 2),
        escape(clip(stamp["detail"], width - detail_x - px(16), type_px(13))),
        size=type_px(13),
        color=BODY,
        anchor="left",
    )
    top, bottom = layout["top"], layout["bottom"]
    card_h = layout["cardH"]
    for index, stage in enumerate(stages):
        geo = layout["columns"][index]
        x0, w = geo["x"], geo["width"]
        x1 = x0 + w
        colour = stage_colour(stage)
        later = stages[index + 1] if index + 1 < len(stages) else None
        figures = boardimage.column_figures(
            stage,
            conversion=conversions.get(int(stage["id"])),
            next_name=later["name"] if later else None,
            currency=currency,
        )
        rects.add(x0, up(bottom), x1, up(top), fill=COLUMN, line=COLUMN_LINE)
        rects.add(x0, up(top + px(6)), x1, up(top), fill=colour, line=colour, layer=1)
        pad = px(10)
        inner = w - 2 * pad
        labels.add(
            x0 + pad,
            up(top + px(26)),
            f"<b>{escape(clip(figures['name'], inner, type_px(18)))}</b>",
            size=type_px(18),
            color=INK,
            anchor="left",
        )
        late_w = len(figures["late"]) * type_px(14) * 0.6 + px(8) if figures["late"] else 0
        line = f"{figures['count']} · {figures['value']}"
        labels.add(
            x0 + pad,
            up(top + px(52)),
            f"<b>{escape(clip(line, inner - late_w, type_px(15)))}</b>",
            size=type_px(15),
            color=BODY,
            anchor="left",
        )
        if figures["late"]:
            labels.add(
                x1 - pad,
                up(top + px(52)),
                f"<b>{escape(figures['late'])}</b>",
                size=type_px(14),
                color=AGING,
                anchor="right",
            )
        if figures["conversion"]:
            labels.add(
                x0 + pad,
                up(top + px(76)),
                escape(clip(f"→ {figures['conversion']}", inner, type_px(14))),
                size=type_px(14),
                color=MUTED,
                anchor="left",
            )
        cx0, cx1 = x0 + px(8), x1 - px(8)
        sla = stage.get("sla_days")
        for card, y in zip(stage["leads"], geo["cards"], strict=False):
            rects.add(cx0, up(y + card_h), cx1, up(y), fill=CARD, line=CARD_LINE)
            stripe = colours.get(card.get("campaign") or 0) or colour
            rects.add(
                cx0,
                up(y + card_h - 2),
                cx0 + max(3, px(4)),
                up(y + 2),
                fill=stripe,
                line=stripe,
                layer=1,
            )
            left, right = cx0 + max(8, px(12)), cx1 - max(6, px(8))
            room = right - left
            value = card.get("value")
            value_text = (
                boardimage.money_compact(value, currency) if value not in (None, "") else ""
            )
            days = days_in_stage(card, moment)
            late = sla is not None and days > int(sla)
            name_size, detail_size = layout["nameFont"], layout["detailFont"]
            value_w = len(value_text) * detail_size * 0.6 + px(8) if value_text else 0
            labels.add(
                left,
                up(y + card_h * 0.32),
                f"<b>{escape(clip(card.get('name') or '', room - value_w, name_size))}</b>",
                size=name_size,
                color=INK,
                anchor="left",
            )
            days_text = f"{days}d"
            labels.add(
                left,
                up(y + card_h * 0.72),
                escape(
                    clip(
                        card.get("company") or "", room - len(days_text) * detail_size, detail_size
                    )
                ),
                size=detail_size,
                color=MUTED,
                anchor="left",
            )
            if value_text:
                labels.add(
                    right,
                    up(y + card_h * 0.32),
                    escape(value_text),
                    size=detail_size,
                    color=BODY,
                    anchor="right",
                )
            labels.add(
                right,
                up(y + card_h * 0.72),
                days_text,
                size=detail_size,
                color=AGING if late else MUTED,
                anchor="right",
            )
        if geo["more"]:
            more_y, more_h = geo["moreY"], layout["moreH"]
            rects.add(cx0, up(more_y + more_h), cx1, up(more_y), fill=MORE, line=MORE)
            size = max(layout["detailFont"], type_px(14))
            labels.add(
                (cx0 + cx1) / 2,
                up(more_y + more_h / 2),
                f"<b>{escape(boardimage.more_text(geo['more']))}</b>",
                size=size,
                color=BODY,
            )
    return {
        "data": [*rects.traces(), labels.trace()],
        "layout": {
            "width": width,
            "height": height,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": PAGE,
            "plot_bgcolor": PAGE,
            "xaxis": {"range": [0, width], "visible": False, "fixedrange": True},
            "yaxis": {"range": [0, height], "visible": False, "fixedrange": True},
            "showlegend": False,
            "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif"},
            # For the tests and whoever reads the figure: what each column shows.
            "meta": {
                "board": board_name,
                "columns": [
                    {
                        "id": int(stage["id"]),
                        "x": geo["x"],
                        "width": geo["width"],
                        "shown": geo["shown"],
                        "more": geo["more"],
                    }
                    for stage, geo in zip(stages, layout["columns"], strict=True)
                ],
                "stamp": stamp,
            },
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
        left, right = anchor == "left", anchor == "right"
        self.x.append(x + self.TEXT_PAD if left else x - self.TEXT_PAD if right else x)
        self.y.append(y)
        self.text.append(label)
        # A text trace's position is the text's side of the point: "right" of it
        # for a text that starts there, "left" of it for one that ends there.
        self.position.append(
            "middle right" if left else "middle left" if right else "middle center"
        )
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


def clip(value: str, width: float, size: int) -> str:
    """``value`` cut with an ellipsis to about ``width`` pixels of type ``size``."""
    room = max(4, int(width / (size * 0.6)))
    return value if len(value) <= room else value[: room - 1] + "…"


def escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
