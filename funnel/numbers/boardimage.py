"""The whole board as one image: the rules the browser's PNG export (4K, "the
whole board") and the server's snapshot (``snapshot.board_figure``) both draw by.

One place for them: ``RULES`` (sizes, the least legible card, the words of the
stamp) is written into the front end's generated contract
(``manage.py event_contract``: ``EXPORT_RULES`` in static/board/generated/contract.js),
and static/board/canvas/exportlayout.js lays the image out from it as
``whole_board_layout`` does here. tests/funnel/numbers/test_boardimage.py runs the
browser's module on the same boards and checks both give the same columns, the
same cards per column, the same "+N more", the same header figures and the same
stamp.

The layout: every column side by side, none folded (Won and Lost too), each with
its header (name, count and value, leads past the SLA, conversion to the next
stage) and as many of its cards as fit at a legible size (never smaller than
``minCardPx`` image pixels), then "+N more" for the rest. Sizes are design
pixels of a 1920 x 1080 board, scaled to the image (4K: twice).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import UnknownCurrencyError, get_currency_symbol

from funnel.numbers.formats import percent_text
from leads.currencies import DEFAULT_CURRENCY, LOCALE

RULES: dict[str, Any] = {
    "design": {"width": 1920, "height": 1080},
    # Design pixels (times the image's scale).
    "band": 40,  # the stamp's band, at the top
    "padX": 16,
    "padTop": 12,
    "padBottom": 12,
    "gap": 12,  # between columns
    "colPad": 8,  # column edge to cards
    "headerH": 92,
    "listInset": 6,
    "cardH": 30,
    "cardGap": 4,
    "moreH": 26,
    # Image pixels: no card (nor its type) is drawn smaller, whatever the image's size.
    "minCardPx": 40,
    "minFontPx": 12,
    # A card's type, as shares of its height.
    "cardNameFont": 0.36,
    "cardDetailFont": 0.3,
    "words": {
        "all": "All leads",
        "campaign": "Campaign",
        "campaigns": "Campaigns",
        "owner": "Owner",
        "team": "Team",
        "score": "Score",
        "search": "Search",
        "live": "Live board",
        "asOf": "Board as of",
        "exported": "Exported",
        "more": "+{n} more",
        "lead": "lead",
        "leads": "leads",
        "late": "{n} past SLA",
        "conversion": "{p} to {next}",
        "separator": " · ",
    },
}

TEAM_LABELS = {"marketing": "Marketing", "sales": "Sales", "management": "Management"}
# Intl's en-GB short months (the browser's), September as "Sept".
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")


def js_round(value: float) -> int:
    """``Math.round``: halves up (Python's ``round`` takes them to even)."""
    return math.floor(value + 0.5)


def image_scale(width: float, height: float) -> float:
    design = RULES["design"]
    return min(width / design["width"], height / design["height"])


def whole_board_layout(
    width: float,
    height: float,
    columns: list[dict[str, Any]],
    *,
    board_width: float | None = None,
) -> dict[str, Any]:
    """Where everything goes in a ``width`` x ``height`` image (image pixels).

    ``columns``: per stage, in board order, ``count`` (its leads, as the header
    counts them) and ``available`` (the cards at hand to draw, in order; the rest
    are counted in "+N more"). ``board_width``: the board's part of the image's
    width (the rest is the browser's charts), all of it by default.
    """
    r = RULES
    s = image_scale(width, height)
    bw = width if board_width is None else board_width
    band = js_round(r["band"] * s)
    n = len(columns)
    pad_x = r["padX"] * s
    gap = r["gap"] * s
    col_w = (bw - 2 * pad_x - max(0, n - 1) * gap) / n if n else 0
    header_y = band + js_round(r["padTop"] * s)
    header_h = js_round(r["headerH"] * s)
    card_h = max(r["minCardPx"], js_round(r["cardH"] * s))
    card_gap = max(2, js_round(r["cardGap"] * s))
    more_h = max(r["minFontPx"] * 2, js_round(r["moreH"] * s))
    list_top = header_y + header_h + js_round(r["listInset"] * s)
    bottom = height - js_round(r["padBottom"] * s) - js_round(r["listInset"] * s)
    room = max(0, bottom - list_top)
    pitch = card_h + card_gap
    fit = max(0, (room + card_gap) // pitch)  # every card, no "+N more" row
    fit_with_more = max(0, (room - more_h) // pitch)  # with one
    out = []
    for i, column in enumerate(columns):
        total = max(0, int(column.get("count") or 0))
        available = max(0, int(column.get("available", total)))
        shown = (
            total if total <= fit and available >= total else min(available, fit_with_more, total)
        )
        x = js_round(pad_x + i * (col_w + gap))
        x_end = js_round(pad_x + i * (col_w + gap) + col_w)
        more = total - shown
        out.append(
            {
                "x": x,
                "width": x_end - x,
                "shown": shown,
                "more": more,
                "cards": [list_top + k * pitch for k in range(shown)],
                "moreY": list_top + shown * pitch if more else None,
            }
        )
    return {
        "width": width,
        "height": height,
        "scale": s,
        "band": band,
        "top": header_y,
        "headerH": header_h,
        "listTop": list_top,
        "bottom": height - js_round(r["padBottom"] * s),
        "cardH": card_h,
        "cardGap": card_gap,
        "moreH": more_h,
        "fit": fit,
        "fitWithMore": fit_with_more,
        "nameFont": max(r["minFontPx"], js_round(card_h * r["cardNameFont"])),
        "detailFont": max(r["minFontPx"], js_round(card_h * r["cardDetailFont"])),
        "columns": out,
    }


def cards_fit(width: int, height: int) -> int:
    """The most cards a column shows in a ``width`` x ``height`` image (what to read)."""
    return int(whole_board_layout(width, height, [{"count": 0}])["fit"])


# --- Words and numbers, as the board writes them (static/board/core/format.js) ---


def count_text(n: Any) -> str:
    return f"{int(n or 0):,}"


# ``percent_text``: the board's one rule for rates (funnel.numbers.formats).


COMPACT_UNITS = ("", "K", "M", "B", "T")


def money_compact(value: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """``money`` of format.js (``Intl.NumberFormat`` en-US, compact): "$1.2M", "€40K",
    "CHF 950", "-$1.5K"; whole units below a thousand."""
    n = js_round(float(value or 0))
    number = Decimal(abs(n))
    unit = 0
    if number >= 1000:
        unit = min(len(COMPACT_UNITS) - 1, (len(str(int(number))) - 1) // 3)
        number = number / Decimal(1000) ** unit
        # Two significant digits below 100, whole units above (as Intl rounds compact).
        places = Decimal("1") if number >= 10 else Decimal("0.1")
        number = number.quantize(places, rounding=ROUND_HALF_UP)
        if number >= 1000 and unit < len(COMPACT_UNITS) - 1:
            number, unit = (
                (number / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                unit + 1,
            )
    digits = f"{number.normalize():f}" + COMPACT_UNITS[unit]
    try:
        symbol = get_currency_symbol(currency, locale=LOCALE)
    except UnknownCurrencyError:
        return money_compact(value, DEFAULT_CURRENCY)
    spaced = symbol + ("\u00a0" if symbol[-1:].isalpha() else "")
    return ("-" if n < 0 else "") + spaced + digits


def column_figures(
    stage: dict[str, Any],
    *,
    conversion: float | None,
    next_name: str | None,
    currency: str = DEFAULT_CURRENCY,
) -> dict[str, str]:
    """A column header's texts: name, "412 leads" (or "7 / 3 leads" with a WIP
    limit), "$1.2M", "398 past SLA" ("" when none), "41% to SQL" ("" after the last
    open stage, and for Won and Lost)."""
    words = RULES["words"]
    n = int(stage.get("count") or 0)
    limit = stage.get("wip_limit")
    number = count_text(n) if limit is None else f"{count_text(n)} / {count_text(limit)}"
    overdue = int(stage.get("overdue") or 0)
    converts = conversion is not None and stage.get("kind", "open") == "open" and next_name
    return {
        "name": str(stage.get("name") or ""),
        "count": f"{number} {words['lead'] if n == 1 else words['leads']}",
        "value": money_compact(stage.get("value"), currency),
        "late": words["late"].format(n=count_text(overdue)) if overdue > 0 else "",
        "conversion": (
            words["conversion"].format(p=percent_text(conversion), next=next_name)
            if converts
            else ""
        ),
    }


def more_text(n: int) -> str:
    return str(RULES["words"]["more"]).format(n=count_text(n))


# --- The stamp ---


def describe_filters(
    filters: dict[str, Any],
    *,
    campaign_name: Any = lambda pk: f"#{pk}",
    person_name: Any = lambda pk: f"#{pk}",
) -> str:
    """``describeFilters`` of panels/export.js: "Campaign: Webinar · Team: Sales ·
    Score 40\u2013100", or "All leads". ``filters``: campaign (ids), owner, team,
    score_min, score_max, q."""
    words = RULES["words"]
    parts = []
    campaigns = list(filters.get("campaign") or [])
    if campaigns:
        label = words["campaigns"] if len(campaigns) > 1 else words["campaign"]
        parts.append(f"{label}: {', '.join(campaign_name(pk) for pk in campaigns)}")
    if filters.get("owner") is not None:
        parts.append(f"{words['owner']}: {person_name(filters['owner'])}")
    if filters.get("team"):
        parts.append(f"{words['team']}: {TEAM_LABELS.get(filters['team'], filters['team'])}")
    low, high = filters.get("score_min"), filters.get("score_max")
    if low is not None or high is not None:
        parts.append(
            f"{words['score']} {0 if low is None else low}\u2013{100 if high is None else high}"
        )
    if filters.get("q"):
        parts.append(f"{words['search']}: “{filters['q']}”")
    return words["separator"].join(parts) if parts else words["all"]


def moment_label(moment: datetime) -> str:
    """``momentLabel`` of core/replay.js: "3 Nov 2026" for the end of a UTC day (what
    the date slider picks), else "3 Nov 2026, 14:05 UTC"."""
    at = moment.astimezone(UTC)
    date = f"{at.day} {MONTHS[at.month - 1]} {at.year}"
    if (at.hour, at.minute, at.second, at.microsecond // 1000) == (23, 59, 59, 999):
        return date
    return f"{date}, {at:%H:%M} UTC"


def export_time(moment: datetime) -> str:
    """``exportTime`` of panels/export.js in UTC: "22 Nov 2026, 17:40 UTC"."""
    at = moment.astimezone(UTC)
    return f"{at.day} {MONTHS[at.month - 1]} {at.year}, {at:%H:%M} UTC"


def stamp_text(
    *, board_name: str, filters_text: str, as_of: datetime | None, exported_at: datetime
) -> dict[str, str]:
    """The stamp: {title, detail}: "Q4 Pipeline", "All leads · Live board ·
    Exported 22 Nov 2026, 17:40 UTC" (or "… · Board as of 1 Nov 2026 · …")."""
    words = RULES["words"]
    moment = f"{words['asOf']} {moment_label(as_of)}" if as_of is not None else words["live"]
    sep = words["separator"]
    return {
        "title": board_name or "Board",
        "detail": f"{filters_text}{sep}{moment}{sep}{words['exported']} {export_time(exported_at)}",
    }


def filters_from_params(params: Any) -> dict[str, Any]:
    """The board's filters from a query (the names /state/ takes), unparseable parts
    dropped (the state's own filter has refused a bad query already)."""

    def number(text: Any) -> int | None:
        text = str(text or "").strip()
        return int(text) if text.isdigit() else None

    values = params.getlist("campaign") if hasattr(params, "getlist") else [params.get("campaign")]
    campaigns: list[int] = []
    for value in values:
        for part in str(value or "").split(","):
            pk = number(part)
            if pk is not None and pk not in campaigns:
                campaigns.append(pk)
    team = str(params.get("team") or "").strip()
    return {
        "campaign": campaigns,
        "owner": number(params.get("owner")),
        "team": team if team in TEAM_LABELS else "",
        "score_min": number(params.get("score_min")),
        "score_max": number(params.get("score_max")),
        "q": str(params.get("q") or "").strip(),
    }
