"""A meeting's recap as Markdown (``GET .../meetings/<id>/recap.md``). Pure: it
formats the stored recap (``funnel.meetings.meeting_recap_compute``), no ORM."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from funnel.numbers.formats import percent_text
from leads.currencies import DEFAULT_CURRENCY, money_text

# What Markdown (CommonMark, and GFM's tables and strikethrough) reads as markup inside
# a line: emphasis, code, links and images, headings' closing #, table pipes. A
# backslash before any of them makes it a plain character.
INLINE_MARKUP = re.compile(r"([\\`*_\[\]#|~])")
# What starts a block when a text opens a line or a list item ("- {name}"): a list
# marker ("-", "+", "1.", "1)") or a rule ("---"); "#", ">" and "*" are taken care
# of wherever they are.
LEADING_MARKER = re.compile(r"^(?:([+-])|(\d+)([.)]))")


def cell(value: Any) -> str:
    """A name (board, person, lead, stage) as plain text in Markdown, on one line:
    inside a table cell, a heading or a list item it renders exactly as typed. HTML
    becomes entities (a renderer that passes raw HTML through shows it as text)."""
    text = "" if value is None else str(value)
    text = re.sub(r"\s+", " ", text).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = INLINE_MARKUP.sub(r"\\\1", text)
    return LEADING_MARKER.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text, count=1)


def when(value: Any) -> str:
    """``2026-11-22 14:05 UTC`` from a stored ISO text (or a datetime)."""
    moment = value if isinstance(value, datetime) else None
    if moment is None and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def clock(value: Any) -> str:
    return when(value)[11:16]


def percent(rate: Any) -> str:
    """The board's rule (``formats.percent_text``: 0.055 is 5.5%, not 6%)."""
    return "n/a" if rate is None else percent_text(rate)


def money(value: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """``$1,235``, in the board's currency (a recap kept before boards had one: USD)."""
    return cell(money_text(float(value or 0), currency))


def change(before: Any, after: Any) -> str:
    if before is None or after is None:
        return ""
    delta = after - before
    return f"{delta:+d}" if isinstance(delta, int) else f"{delta:+.0f}"


def points(before: Any, after: Any) -> str:
    """The change of a rate in percentage points."""
    if before is None or after is None:
        return ""
    return f"{(float(after) - float(before)) * 100:+.1f} pts"


def recap_markdown(recap: dict[str, Any]) -> str:
    board = recap["board"]["name"]
    currency = recap["board"].get("currency") or DEFAULT_CURRENCY
    lines = [
        f"# Meeting recap: {cell(board)}",
        "",
        f"- Started: {when(recap['started_at'])}"
        + (f" by {cell(recap['started_by'])}" if recap.get("started_by") else ""),
        f"- Ended: {when(recap['ended_at'])}"
        + (f" by {cell(recap['ended_by'])}" if recap.get("ended_by") else ""),
        f"- Length: {recap['minutes']:g} min",
        f"- Moves made: {recap['moves_total']}"
        + (f"; leads added: {recap['created']}" if recap.get("created") else ""),
        "",
        "## Stages: before and after",
        "",
        "| Stage | Leads before | Leads after | Change | Value before | Value after"
        " | Conversion before | Conversion after | Change |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for stage in recap["stages"]:
        before, after = stage["before"], stage["after"]
        lines.append(
            f"| {cell(stage['name'])} | {before['count']} | {after['count']}"
            f" | {change(before['count'], after['count'])}"
            f" | {money(before['value'], currency)} | {money(after['value'], currency)}"
            f" | {percent(before['conversion_to_next'])} | {percent(after['conversion_to_next'])}"
            f" | {points(before['conversion_to_next'], after['conversion_to_next'])} |"
        )
    overall = recap["overall_conversion"]
    delta = points(overall["before"], overall["after"])
    lines += [
        "",
        f"Overall conversion: {percent(overall['before'])} before,"
        f" {percent(overall['after'])} after" + (f" ({delta})." if delta else "."),
        "",
        "## Who moved what",
        "",
    ]
    if recap["people"]:
        for person in recap["people"]:
            plural = "" if person["moves"] == 1 else "s"
            lines.append(f"- {cell(person['name'])}: {person['moves']} move{plural}")
    else:
        lines.append("No moves were made during the meeting.")
    if recap["moves"]:
        lines += [
            "",
            "## Moves",
            "",
            "| Time | Lead | From | To | By |",
            "| --- | --- | --- | --- | --- |",
        ]
        for move in recap["moves"]:
            lines.append(
                f"| {clock(move['at'])} | {cell(move['lead_name'])}"
                f" | {cell(move['from_stage_name'])} | {cell(move['to_stage_name'])}"
                f" | {cell(move['actor'] or 'System')} |"
            )
        if recap["moves_truncated"]:
            shown = len(recap["moves"])
            lines += ["", f"The first {shown} of {recap['moves_total']} moves are listed."]
    return "\n".join(lines) + "\n"
