"""Plotly figures (as JSON-ready dicts) built from ``funnel.numbers.analytics`` output.

Each function takes the analytics answer (``board_numbers``) and the board's stages
(with their colours) and returns ``fig.to_plotly_json()``: the browser draws it with
the plotly.js of the installed ``plotly`` package, the server renders it to PNG.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from funnel.numbers.formats import percent_text
from leads.currencies import DEFAULT_CURRENCY, money_text
from leads.rules import TIME_IN_STAGE_LABELS

FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}


def layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.02},
        "font": FONT,
        "margin": MARGIN,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """A plain JSON-serialisable dict (numpy arrays become lists)."""
    return json.loads(pio.to_json(fig, validate=False, engine="json"))


def colors_by_id(stages: list[dict[str, Any]]) -> dict[int, str]:
    return {int(s["id"]): s.get("color") or "#64748b" for s in stages}


def funnel_chart(numbers: dict[str, Any], stages: list[dict[str, Any]]) -> go.Figure:
    """Leads that reached each funnel stage (open stages and Won), with the share of
    the first stage."""
    colors = colors_by_id(stages)
    rows = [s for s in numbers["stages"] if s["kind"] != "lost"]
    fig = go.Figure(
        go.Funnel(
            y=[s["name"] for s in rows],
            x=[s["reached"] or 0 for s in rows],
            textinfo="value+percent initial",
            marker={"color": [colors.get(s["id"], "#64748b") for s in rows]},
        )
    )
    overall = numbers.get("overall_conversion")
    subtitle = f" · overall {percent_text(overall)}" if overall is not None else ""
    fig.update_layout(**layout(f"Funnel: {numbers.get('leads', 0)} leads{subtitle}"))
    return fig


def time_in_stage_chart(numbers: dict[str, Any], stages: list[dict[str, Any]]) -> go.Figure:
    """Time in each open stage, both ways and labelled so no one mixes them up:
    "left after" (median and p90 over finished visits: how long leads took to leave)
    and "here now" (median age of the leads still in the stage). A stage that leads
    leave fast can still hold a pile of stale ones; only the second says so."""
    rows = [s for s in numbers["stages"] if s["kind"] == "open"]
    names = [s["name"] for s in rows]
    fig = go.Figure(
        [
            go.Bar(
                name=TIME_IN_STAGE_LABELS["median_days"],
                x=names,
                y=[s["median_days"] for s in rows],
                marker_color="#6366f1",
            ),
            go.Bar(
                name=TIME_IN_STAGE_LABELS["p90_days"],
                x=names,
                y=[s["p90_days"] for s in rows],
                marker_color="#f59e0b",
            ),
            go.Bar(
                name=TIME_IN_STAGE_LABELS["current_median_age_days"],
                x=names,
                y=[s.get("current_median_age_days") for s in rows],
                marker_color="#dc2626",
            ),
        ]
    )
    fig.update_layout(**layout("Days in stage", barmode="group", yaxis_title="days"))
    return fig


def campaigns_chart(
    numbers: dict[str, Any], stages: list[dict[str, Any]], currency: str = DEFAULT_CURRENCY
) -> go.Figure:
    """Per campaign: leads and the leads that reached SQL-or-later and Won, with cost
    per Won (in the board's ``currency``) and the MQL->SQL acceptance rate on hover
    ("—" and "cost missing" while a campaign has no cost). Archived campaigns keep
    their bars, named so."""
    campaigns = numbers["campaigns"]
    names = [c["name"] + (" (archived)" if c.get("archived") else "") for c in campaigns]
    won_ids = [str(s["id"]) for s in numbers["stages"] if s["kind"] == "won"]
    won = [sum(c["reached"].get(sid, 0) for sid in won_ids) for c in campaigns]
    hover = [
        f"cost per Won: {fmt_money(c['cost_per_won'], currency)}<br>cost per SQL: "
        f"{fmt_money(c['cost_per_sql'], currency)}<br>MQL→SQL: {fmt_rate(c.get('mql_to_sql'))}"
        + ("<br>cost missing: enter it in the board's settings" if c.get("cost_missing") else "")
        for c in campaigns
    ]
    fig = go.Figure(
        [
            go.Bar(
                name="leads",
                x=names,
                y=[c["leads"] for c in campaigns],
                marker_color="#94a3b8",
                hovertext=hover,
            ),
            go.Bar(name="won", x=names, y=won, marker_color="#16a34a", hovertext=hover),
        ]
    )
    fig.update_layout(**layout("Campaigns", barmode="group", yaxis_title="leads"))
    return fig


def cohorts_chart(numbers: dict[str, Any], stages: list[dict[str, Any]]) -> go.Figure:
    """Heat map: rows are creation weeks, columns funnel stages, cells the share of
    the week's leads that reached the stage."""
    cohorts = numbers["cohorts"]
    columns = [s for s in numbers["stages"] if s["kind"] != "lost"]
    z = [[c["conversion"].get(str(s["id"])) for s in columns] for c in cohorts]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[s["name"] for s in columns],
            y=[f"{c['week']} ({c['leads']})" for c in cohorts],
            zmin=0,
            zmax=1,
            colorscale="Blues",
            texttemplate="%{z:.0%}",
            hovertemplate="%{y}<br>%{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_layout(**layout("Weekly cohorts: share reaching each stage"))
    fig.update_yaxes(autorange="reversed")
    return fig


def fmt_money(value: float | None, currency: str = DEFAULT_CURRENCY) -> str:
    """``$1,234.50``: to the cent, in the board's currency. Unknown money (a cost
    missing, no lead reached the stage yet) is "—", never 0."""
    return "—" if value is None else money_text(value, currency, cents=True)


def fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else percent_text(value)


def board_charts(
    numbers: dict[str, Any], stages: list[dict[str, Any]], currency: str = DEFAULT_CURRENCY
) -> dict[str, Any]:
    """Every chart of the side panel, as plotly figure dicts."""
    return {
        "funnel": figure_json(funnel_chart(numbers, stages)),
        "time_in_stage": figure_json(time_in_stage_chart(numbers, stages)),
        "campaigns": figure_json(campaigns_chart(numbers, stages, currency)),
        "cohorts": figure_json(cohorts_chart(numbers, stages)),
    }
