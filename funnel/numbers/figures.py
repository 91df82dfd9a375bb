"""The board's numbers as the API answers them: read from its frames and computed
by the analytics, now or as the board stood at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from django.contrib.auth import get_user_model
from django.utils import timezone

from funnel.numbers import analytics, live
from leads import selectors
from leads.models import Board
from leads.rules import display_name
from leads.selectors.leads import filters_active


def board_numbers_for(board: Board, params: Any, query: dict[str, Any]) -> dict[str, Any]:
    """Every number of the board's view: the whole board live from its kept ledger
    (``funnel.numbers.live``), any other view from the board's frames (at ``as_of``
    when given) through the analytics."""
    if whole_board(params, query):
        numbers = live.whole_board_numbers(board, timezone.now())
        owners_named(numbers["lost_reasons"]["by"]["owner"])
        numbers["seq"] = board.last_seq
        return numbers
    as_of = selectors.as_of_parse(board, query["as_of"]) if query.get("as_of") else None
    leads, transitions = frames_at(board, params, as_of)
    feedback = selectors.feedback_frame(board.pk)
    if as_of is not None:
        feedback = feedback[feedback["at"] <= pd.Timestamp(as_of)]
    numbers = analytics.board_numbers(
        stages=selectors.stages_frame(board.pk),
        leads=leads,
        transitions=transitions,
        campaigns=selectors.campaigns_frame(board.pk),
        feedback=feedback,
        now=as_of or timezone.now(),
        start=query.get("start"),
        end=query.get("end"),
        channel=query.get("channel"),
    )
    owners_named(numbers["lost_reasons"]["by"]["owner"])
    numbers["seq"] = board.last_seq
    if as_of is not None:
        numbers["as_of"] = as_of
    return numbers


def whole_board(params: Any, query: dict[str, Any]) -> bool:
    """The view of every lead, live: no moment, period, channel or board filter."""
    if any(query.get(name) for name in ("as_of", "start", "end", "channel")):
        return False
    return not filters_active(params)


def owners_named(rows: list[dict[str, Any]]) -> None:
    """Give the lost reasons' owner rows their people's names (the analytics has ids)."""
    users = get_user_model().objects.in_bulk([row["key"] for row in rows if row["key"]])
    for row in rows:
        user = users.get(row["key"]) if row["key"] else None
        row["name"] = display_name(user) if user is not None else None


def stage_conversions_for(board: Board, params: Any, as_of_text: str | None) -> dict[int, Any]:
    """Each stage's conversion to the next (at ``as_of``): all the board snapshot
    draws of the numbers, without the campaign, cohort and feedback reads."""
    as_of = selectors.as_of_parse(board, as_of_text) if as_of_text else None
    leads, transitions = frames_at(board, params, as_of)
    figures = analytics.stage_figures(
        stages=selectors.stages_frame(board.pk),
        leads=leads,
        transitions=transitions,
        now=as_of or timezone.now(),
    )
    return {s["id"]: s["conversion_to_next"] for s in figures["stages"]}


def frames_at(
    board: Board, params: Any, as_of: datetime | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (filtered) leads and the transitions, as they stood at ``as_of`` if given."""
    leads = selectors.leads_frame(board.pk, params)
    transitions = selectors.transitions_frame(board.pk, until=as_of)
    if as_of is not None:
        leads = leads_as_of(leads, transitions, as_of)
    return leads, transitions


def leads_as_of(leads: pd.DataFrame, transitions: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """The leads that existed then, each in the stage it was in then."""
    then = selectors.lead_stages_as_of(transitions)[["lead_id", "stage_id"]]
    existed = leads[leads["created_at"] <= pd.Timestamp(as_of)].drop(columns="stage_id")
    return existed.merge(then.rename(columns={"lead_id": "id"}), on="id", how="inner")


EMPTY_FIGURES = {"count": 0, "value": 0.0, "reached": 0, "conversion_to_next": None}


def stage_figures(board: Board, user: Any, moment: datetime) -> dict[str, Any]:
    """Per stage id: leads in it and funnel figures as the board stood at ``moment``."""
    state = selectors.board_state_as_of(board_id=board.pk, user=user, as_of=moment, per_stage=1)
    numbers = board_numbers_for(board, {}, {"as_of": moment})
    funnel = {stage["id"]: stage for stage in numbers["stages"]}
    figures = {}
    for stage in state["stages"]:
        row = funnel.get(stage["id"], {})
        figures[stage["id"]] = {
            "count": stage["count"],
            "value": stage["value"],
            "reached": row.get("reached"),
            "conversion_to_next": row.get("conversion_to_next"),
        }
    return {"stages": figures, "overall": numbers.get("overall_conversion")}
