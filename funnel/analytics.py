"""Funnel numbers from stage transitions. Pure functions on DataFrames: no ORM here.

Semantics (ARCHITECTURE.md, "Funnel semantics"):
- open stages, by position, form the funnel; ``won`` ends it; ``lost`` is the drop-off;
- a lead *reached* an open stage S when it was ever in S, in a later open stage or in
  Won (skipping a stage counts as passing it); reached(Won) = leads that entered Won;
- an undone transition and its reversal are left out of every figure;
- conversion S -> next = reached(next) / reached(S); overall = reached(Won) / reached(first);
- drop-off at S = leads that entered Lost straight from S;
- time in stage: finished visits, median and p90 in days; leads still there are
  counted as ``current`` with their current age;
- ``start``/``end`` select the cohort of leads created in ``[start, end)``.

Frames:
- ``stages``: id, name, position, kind (open | won | lost)
- ``leads``: id, stage_id, campaign_id, created_at, value
- ``transitions``: id, lead_id, from_stage_id, to_stage_id, at, undone (bool: the
  transition was undone or is an undo)
- ``campaigns``: id, name, cost
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

DAY_SECONDS = 86400.0


def rate(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def rounded(value: float | None, digits: int = 2) -> float | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), digits)


def cohort(leads: pd.DataFrame, start: datetime | None, end: datetime | None) -> pd.DataFrame:
    mask = pd.Series(True, index=leads.index)
    if start is not None:
        mask &= leads["created_at"] >= pd.Timestamp(start)
    if end is not None:
        mask &= leads["created_at"] < pd.Timestamp(end)
    return leads[mask]


def effective(transitions: pd.DataFrame, lead_ids: pd.Index | pd.Series) -> pd.DataFrame:
    """The transitions that count: not undone, of the cohort's leads, in order."""
    kept = transitions[~transitions["undone"] & transitions["lead_id"].isin(lead_ids)]
    return kept.sort_values(["lead_id", "at", "id"], kind="stable")


def furthest_reach(transitions: pd.DataFrame, stages: pd.DataFrame) -> pd.Series:
    """Per lead, the highest funnel rank it ever entered (open stages by position,
    Won after the last open stage); leads only ever in Lost are absent."""
    funnel = funnel_ranks(stages)
    ranks = transitions["to_stage_id"].map(funnel)
    reached = transitions.assign(rank=ranks).dropna(subset=["rank"])
    return reached.groupby("lead_id")["rank"].max()


def funnel_ranks(stages: pd.DataFrame) -> pd.Series:
    """stage id -> rank in the funnel (0 = first open stage); Lost has none."""
    ordered = stages.sort_values("position")
    funnel = ordered[ordered["kind"] != "lost"]
    opens = funnel[funnel["kind"] == "open"]
    won = funnel[funnel["kind"] == "won"]
    ranks = {sid: i for i, sid in enumerate(opens["id"])}
    for sid in won["id"]:
        ranks[sid] = len(opens)
    return pd.Series(ranks, dtype="float64")


def visits(transitions: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each stay of a lead in a stage: stage_id, days, finished."""
    if transitions.empty:
        return pd.DataFrame({"stage_id": [], "days": [], "finished": []})
    ordered = transitions[["lead_id", "to_stage_id", "at"]]
    left = ordered.groupby("lead_id")["at"].shift(-1)
    finished = left.notna()
    ended = left.where(finished, pd.Timestamp(now))
    days = (ended - ordered["at"]).dt.total_seconds() / DAY_SECONDS
    return pd.DataFrame(
        {
            "stage_id": ordered["to_stage_id"].to_numpy(),
            "days": days.to_numpy(),
            "finished": finished.to_numpy(),
        }
    )


def stage_figures(
    *,
    stages: pd.DataFrame,
    leads: pd.DataFrame,
    transitions: pd.DataFrame,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Per-stage reach, conversion, drop-off, current count and time in stage."""
    cohort_leads = cohort(leads, start, end)
    moves = effective(transitions, cohort_leads["id"])
    ranks = funnel_ranks(stages)
    reach = furthest_reach(moves, stages)
    stays = visits(moves, now)
    lost_ids = set(stages.loc[stages["kind"] == "lost", "id"])
    dropped = (
        moves[moves["to_stage_id"].isin(lost_ids)].groupby("from_stage_id")["lead_id"].nunique()
    )
    current = cohort_leads.groupby("stage_id")["id"].count()

    ordered = stages.sort_values("position")
    figures: list[dict[str, Any]] = []
    reached_by_rank: dict[int, int] = {}
    for rank in sorted(set(ranks.astype(int))):
        reached_by_rank[rank] = int((reach >= rank).sum())
    first_reached = reached_by_rank.get(0, 0)
    won_rank = max(reached_by_rank) if reached_by_rank else None
    for _, stage in ordered.iterrows():
        sid = stage["id"]
        rank = ranks.get(sid)
        reached = (
            reached_by_rank.get(int(rank), 0) if rank is not None and not pd.isna(rank) else None
        )
        if stage["kind"] == "lost":
            reached = int(moves.loc[moves["to_stage_id"] == sid, "lead_id"].nunique())
        next_reached = (
            reached_by_rank.get(int(rank) + 1)
            if stage["kind"] == "open" and rank is not None and not pd.isna(rank)
            else None
        )
        done = stays[(stays["stage_id"] == sid) & stays["finished"]]["days"]
        ongoing = stays[(stays["stage_id"] == sid) & ~stays["finished"]]["days"]
        figures.append(
            {
                "id": int(sid),
                "name": stage["name"],
                "kind": stage["kind"],
                "reached": reached,
                "conversion_to_next": rate(next_reached, reached)
                if next_reached is not None and reached is not None
                else None,
                "dropped": int(dropped.get(sid, 0)),
                "current": int(current.get(sid, 0)),
                "median_days": rounded(done.median()) if len(done) else None,
                "p90_days": rounded(done.quantile(0.9)) if len(done) else None,
                "current_median_age_days": rounded(ongoing.median()) if len(ongoing) else None,
            }
        )
    overall = rate(reached_by_rank.get(won_rank, 0), first_reached) if won_rank else None
    has_won = bool((stages["kind"] == "won").any())
    return {
        "stages": figures,
        "overall_conversion": overall if has_won else None,
        "leads": len(cohort_leads),
    }


def campaign_figures(
    *,
    stages: pd.DataFrame,
    leads: pd.DataFrame,
    transitions: pd.DataFrame,
    campaigns: pd.DataFrame,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Per campaign: leads, reach per stage, won value, cost per SQL and per Won.

    "SQL" is the first sales-owned open stage when the frame has a ``team`` column,
    else the third open stage; cost per SQL = cost / leads that reached it.
    """
    cohort_leads = cohort(leads, start, end)
    moves = effective(transitions, cohort_leads["id"])
    reach = furthest_reach(moves, stages)
    ranks = funnel_ranks(stages)
    opens = stages[stages["kind"] == "open"].sort_values("position")
    sql_stage = sql_stage_id(opens)
    won_ids = set(stages.loc[stages["kind"] == "won", "id"])
    rank_items = [(int(sid), int(r)) for sid, r in ranks.items()]

    lead_reach = cohort_leads[["id", "campaign_id", "stage_id", "value"]].assign(
        reach=cohort_leads["id"].map(reach)
    )
    result = []
    for _, campaign in campaigns.sort_values("name").iterrows():
        mine = lead_reach[lead_reach["campaign_id"] == campaign["id"]]
        reached = {str(sid): int((mine["reach"] >= r).sum()) for sid, r in rank_items}
        won = mine[mine["stage_id"].isin(won_ids)]
        won_count = int(reached.get(str(next(iter(won_ids))), 0)) if won_ids else 0
        sql_count = reached.get(str(sql_stage), 0) if sql_stage is not None else 0
        cost = float(campaign["cost"])
        result.append(
            {
                "id": int(campaign["id"]),
                "name": campaign["name"],
                "leads": len(mine),
                "reached": reached,
                "won_value": float(won["value"].sum()),
                "cost": cost,
                "cost_per_sql": rounded(cost / sql_count) if sql_count else None,
                "cost_per_won": rounded(cost / won_count) if won_count else None,
            }
        )
    return result


def sql_stage_id(opens: pd.DataFrame) -> int | None:
    if "team" in opens.columns:
        sales = opens[opens["team"] == "sales"]
        if not sales.empty:
            return int(sales.iloc[0]["id"])
    if len(opens) >= 3:
        return int(opens.iloc[2]["id"])
    return None


def empty_transitions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(dtype="int64"),
            "lead_id": pd.Series(dtype="int64"),
            "from_stage_id": pd.Series(dtype="float64"),
            "to_stage_id": pd.Series(dtype="int64"),
            "at": pd.Series(dtype="datetime64[ns, UTC]"),
            "undone": pd.Series(dtype="bool"),
        }
    )
