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
- ``start``/``end`` select the cohort of leads created in ``[start, end)``;
- lost reasons: each lead that entered Lost counts once, with the reason of its latest
  kept entry into a lost stage, per campaign, channel, stage left and owner.

Frames:
- ``stages``: id, name, position, kind (open | won | lost)
- ``leads``: id, stage_id, campaign_id, created_at, value, owner_id (optional)
- ``transitions``: id, lead_id, from_stage_id, to_stage_id, at, undone (bool: the
  transition was undone or is an undo), reason (optional: the lost reason)
- ``campaigns``: id, name, channel, cost (NaN or None: cost missing), archived (optional)

A campaign whose cost is missing (not entered yet, as after an import) has no
cost per SQL or per Won: they are ``None``, never 0, and ``cost_missing`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from leads.rules import handoff_stage
from leads.selectors.quality import Tally

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
    # Sorting a million rows is the costly step: when they come in time order (as
    # the selectors read them) a stable sort by lead alone is enough.
    leads = kept["lead_id"].to_numpy()
    at = kept["at"].astype("int64").to_numpy()
    ids = kept["id"].to_numpy()
    if in_time_order(at, ids):
        order = np.argsort(leads, kind="stable")
    else:
        order = np.lexsort((ids, at, leads))
    return kept.iloc[order]


def in_time_order(at: np.ndarray, ids: np.ndarray) -> bool:
    """Sorted by (at, id)?"""
    if len(at) < 2:
        return True
    later = at[1:] > at[:-1]
    same = at[1:] == at[:-1]
    return bool(np.all(later | (same & (ids[1:] > ids[:-1]))))


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
    return stay_days(stays_of(transitions), now)


def stays_of(transitions: pd.DataFrame) -> pd.DataFrame:
    """Each stay of a lead in a stage, lead by lead: lead_id, stage_id, at (when it
    began, ns), ended (when the lead's next move ended it, ns; 0 while it lasts),
    finished. ``transitions`` are sorted by lead, then time."""
    if transitions.empty:
        return empty_frame(
            {
                "lead_id": "int64",
                "stage_id": "int64",
                "at": "int64",
                "ended": "int64",
                "finished": "bool",
            }
        )
    # A stay ends at the lead's next move.
    leads = transitions["lead_id"].to_numpy()
    at = transitions["at"].astype("datetime64[ns, UTC]").astype("int64").to_numpy()
    finished = np.zeros(len(leads), dtype=bool)
    finished[:-1] = leads[1:] == leads[:-1]
    ended = np.zeros(len(at), dtype="int64")
    ended[:-1] = np.where(finished[:-1], at[1:], 0)
    return pd.DataFrame(
        {
            "lead_id": leads,
            "stage_id": transitions["to_stage_id"].to_numpy(),
            "at": at,
            "ended": ended,
            "finished": finished,
        }
    )


def stay_days(stays: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """``stays_of`` in days: stage_id, days (a stay that lasts, until ``now``), finished."""
    finished = stays["finished"].to_numpy(dtype=bool)
    at = stays["at"].to_numpy(dtype="int64")
    ended = np.where(
        finished, stays["ended"].to_numpy(dtype="int64"), pd.Timestamp(now).as_unit("ns").value
    )
    return pd.DataFrame(
        {
            "stage_id": stays["stage_id"].to_numpy(),
            "days": (ended - at) / 1e9 / DAY_SECONDS,
            "finished": finished,
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
    return stage_figures_of(stages, cohort_leads, effective(transitions, cohort_leads["id"]), now)


def stage_figures_of(
    stages: pd.DataFrame,
    cohort_leads: pd.DataFrame,
    moves: pd.DataFrame,
    now: datetime,
    reach: pd.Series | None = None,
    stays: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """``stage_figures`` of a cohort's leads and their ``effective`` transitions (given
    ``reach`` and ``stays``, ``visits``, the entries into lost stages are enough)."""
    ranks = funnel_ranks(stages)
    reach = furthest_reach(moves, stages) if reach is None else reach
    stays = visits(moves, now) if stays is None else stays
    lost_ids = list(stages.loc[stages["kind"] == "lost", "id"])
    dropped = (
        moves[moves["to_stage_id"].isin(lost_ids)].groupby("from_stage_id")["lead_id"].nunique()
    )
    current = cohort_leads.groupby("stage_id")["id"].count()

    reached_by_rank: dict[int, int] = {}
    for rank in sorted(set(ranks.astype(int))):
        reached_by_rank[rank] = int((reach >= rank).sum())
    lost_reached = moves[moves["to_stage_id"].isin(lost_ids)].groupby("to_stage_id")["lead_id"]
    days = stays.groupby(["stage_id", "finished"])["days"]
    spans = {key: group for key, group in days}
    empty = pd.Series(dtype="float64")
    return stage_rows(
        stages,
        reached_by_rank,
        lost_reached.nunique(),
        dropped,
        current,
        done=lambda sid: spans.get((sid, True), empty),
        ongoing=lambda sid: spans.get((sid, False), empty),
        leads=len(cohort_leads),
    )


def stage_rows(
    stages: pd.DataFrame,
    reached_by_rank: dict[int, int],
    lost_reached: pd.Series,
    dropped: pd.Series,
    current: pd.Series,
    *,
    done: Callable[[Any], pd.Series],
    ongoing: Callable[[Any], pd.Series],
    leads: int,
) -> dict[str, Any]:
    """``stage_figures_of``'s answer from its counts: leads that reached each funnel rank,
    each lost stage (by id), dropped from each stage, in each stage now; a stage's
    finished stays (``done``) and stays that last (``ongoing``), in days."""
    ranks = funnel_ranks(stages)
    ordered = stages.sort_values("position")
    figures: list[dict[str, Any]] = []
    first_reached = reached_by_rank.get(0, 0)
    won_rank = max(reached_by_rank) if reached_by_rank else None
    for _, stage in ordered.iterrows():
        sid = stage["id"]
        rank = ranks.get(sid)
        reached = (
            reached_by_rank.get(int(rank), 0) if rank is not None and not pd.isna(rank) else None
        )
        if stage["kind"] == "lost":
            reached = int(lost_reached.get(sid, 0))
        next_reached = (
            reached_by_rank.get(int(rank) + 1)
            if stage["kind"] == "open" and rank is not None and not pd.isna(rank)
            else None
        )
        finished, lasting = done(sid), ongoing(sid)
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
                "median_days": rounded(finished.median()) if len(finished) else None,
                "p90_days": rounded(finished.quantile(0.9)) if len(finished) else None,
                "current_median_age_days": rounded(lasting.median()) if len(lasting) else None,
            }
        )
    overall = rate(reached_by_rank.get(won_rank, 0), first_reached) if won_rank else None
    has_won = bool((stages["kind"] == "won").any())
    return {
        "stages": figures,
        "overall_conversion": overall if has_won else None,
        "leads": leads,
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
    """Per campaign: leads, reach per stage, won value, cost per SQL and per Won
    (``None`` while the cost is missing, or before any lead reached SQL or Won).

    "SQL" is the handoff stage (``leads.rules.handoff_stage``: the first sales-owned
    open stage; none, no cost per SQL); cost per SQL = cost / leads that reached it.
    "MQL" is the open stage just before SQL; ``mql_to_sql`` (the acceptance rate of
    the handoff) = reached(SQL) / reached(MQL) of the campaign's leads.
    """
    cohort_leads = cohort(leads, start, end)
    moves = effective(transitions, cohort_leads["id"])
    return campaign_figures_of(stages, cohort_leads, moves, campaigns)


def campaign_figures_of(
    stages: pd.DataFrame,
    cohort_leads: pd.DataFrame,
    moves: pd.DataFrame,
    campaigns: pd.DataFrame,
    reach: pd.Series | None = None,
) -> list[dict[str, Any]]:
    reach = furthest_reach(moves, stages) if reach is None else reach
    ranks = funnel_ranks(stages)
    opens = stages[stages["kind"] == "open"].sort_values("position")
    sql_stage = sql_stage_id(opens)
    mql_stage = stage_before(opens, sql_stage)
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
        result.append(
            campaign_row(
                campaign,
                len(mine),
                reached,
                float(won["value"].sum()),
                won_ids,
                sql_stage,
                mql_stage,
            )
        )
    return result


def campaign_row(
    campaign: pd.Series,
    leads: int,
    reached: dict[str, int],
    won_value: float,
    won_ids: set[Any],
    sql_stage: int | None,
    mql_stage: int | None,
) -> dict[str, Any]:
    """One campaign's figures from its counts: its leads, how many reached each stage
    (by stage id as text), the value of its leads in Won now."""
    won_count = int(reached.get(str(next(iter(won_ids))), 0)) if won_ids else 0
    sql_count = reached.get(str(sql_stage), 0) if sql_stage is not None else 0
    mql_count = reached.get(str(mql_stage), 0) if mql_stage is not None else 0
    cost = known_cost(campaign["cost"])
    return {
        "id": int(campaign["id"]),
        "name": campaign["name"],
        "leads": leads,
        "reached": reached,
        "won_value": won_value,
        "cost": cost,
        "cost_missing": cost is None,
        "cost_per_sql": per(cost, sql_count),
        "cost_per_won": per(cost, won_count),
        "mql_to_sql": rate(sql_count, mql_count) if mql_stage is not None else None,
        "archived": bool(campaign.get("archived", False)),
    }


def known_cost(value: Any) -> float | None:
    """A campaign's cost, or ``None`` while it is missing (None or NaN in the frame)."""
    return None if value is None or pd.isna(value) else float(value)


def per(cost: float | None, leads: int) -> float | None:
    """Cost per lead reached: unknown without a cost or without a lead, never 0 for missing."""
    return rounded(cost / leads) if cost is not None and leads else None


def sql_stage_id(opens: pd.DataFrame) -> int | None:
    """The handoff stage of the open stages (in position order): ``rules.handoff_stage``."""
    stage = handoff_stage(opens.to_dict("records"))
    return None if stage is None else int(stage["id"])


def stage_before(opens: pd.DataFrame, stage_id: int | None) -> int | None:
    ids = [int(sid) for sid in opens["id"]]
    if stage_id is None or stage_id not in ids or ids.index(stage_id) == 0:
        return None
    return ids[ids.index(stage_id) - 1]


# --- Filters, cohorts, velocity, handoff quality ---


def leads_in_channel(leads: pd.DataFrame, campaigns: pd.DataFrame, channel: str) -> pd.DataFrame:
    """The leads of the campaigns of one channel (leads of no campaign are in none)."""
    ids = campaigns.loc[campaigns["channel"] == channel, "id"]
    return leads[leads["campaign_id"].isin(ids)]


def creation_week(created_at: pd.Series) -> pd.Series:
    """The Monday (UTC) of each moment's ISO week, as a date string."""
    mondays = monday_days(created_at)
    return mondays.map(week_labels(mondays.unique()))


def monday_days(created_at: pd.Series) -> pd.Series:
    """The Monday (UTC) of each moment's ISO week, in days since 1970-01-01."""
    # 1970-01-01 was a Thursday.
    days = created_at.dt.tz_convert("UTC").astype("datetime64[s, UTC]").astype("int64") // 86400
    return days - (days + 3) % 7


def week_labels(mondays: Any) -> dict[int, str]:
    """Each distinct Monday (days since 1970-01-01) as a date string."""
    return {
        int(d): (pd.Timestamp(0) + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in mondays
    }


def weekly_cohorts(
    *,
    stages: pd.DataFrame,
    leads: pd.DataFrame,
    transitions: pd.DataFrame,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Leads by creation week (Monday, UTC): how many entered, and per funnel stage
    (open stages and Won) how many reached it and that as a share of the week's leads."""
    cohort_leads = cohort(leads, start, end)
    return weekly_cohorts_of(stages, cohort_leads, effective(transitions, cohort_leads["id"]))


def weekly_cohorts_of(
    stages: pd.DataFrame,
    cohort_leads: pd.DataFrame,
    moves: pd.DataFrame,
    reach: pd.Series | None = None,
) -> list[dict[str, Any]]:
    if cohort_leads.empty:
        return []
    reach = furthest_reach(moves, stages) if reach is None else reach
    ranks = funnel_ranks(stages)
    frame = pd.DataFrame(
        {
            "week": creation_week(cohort_leads["created_at"]).to_numpy(),
            "reach": cohort_leads["id"].map(reach).to_numpy(),
        }
    )
    ordered = [
        (int(sid), int(ranks[sid])) for sid in stages.sort_values("position")["id"] if sid in ranks
    ]
    result = []
    for week, group in frame.groupby("week", sort=True):
        reached = {str(sid): int((group["reach"] >= rank).sum()) for sid, rank in ordered}
        result.append(cohort_row(str(week), len(group), reached))
    return result


def cohort_row(week: str, entered: int, reached: dict[str, int]) -> dict[str, Any]:
    """One creation week: its leads, how many reached each stage, as a share of them."""
    return {
        "week": week,
        "leads": entered,
        "reached": reached,
        "conversion": {sid: rate(n, entered) for sid, n in reached.items()},
    }


def velocity(
    *,
    stages: pd.DataFrame,
    leads: pd.DataFrame,
    transitions: pd.DataFrame,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Days from a lead's first (kept) transition, its entry into the funnel, to its
    first entry into Won: median and p90 over the cohort's leads that won."""
    cohort_leads = cohort(leads, start, end)
    return velocity_of(stages, effective(transitions, cohort_leads["id"]))


def velocity_of(stages: pd.DataFrame, moves: pd.DataFrame) -> dict[str, Any]:
    won_ids = set(stages.loc[stages["kind"] == "won", "id"])
    entered = moves.groupby("lead_id")["at"].min()
    won_at = moves[moves["to_stage_id"].isin(won_ids)].groupby("lead_id")["at"].min()
    return velocity_figures(won_at - entered.reindex(won_at.index))


def velocity_figures(spans: pd.Series) -> dict[str, Any]:
    """``velocity_of``'s answer from each won lead's time from entry to its first win."""
    days = spans.dt.total_seconds() / DAY_SECONDS
    return {
        "won_leads": len(days),
        "median_days": rounded(days.median()) if len(days) else None,
        "p90_days": rounded(days.quantile(0.9)) if len(days) else None,
    }


def handoff_quality(
    *,
    leads: pd.DataFrame,
    feedback: pd.DataFrame,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Sales' verdict on the leads handed over: each lead counts once, with its latest
    feedback; accepted, rejected, the acceptance rate and the top rejection reasons."""
    cohort_leads = cohort(leads, start, end)
    mine = feedback[feedback["lead_id"].isin(cohort_leads["id"])]
    return verdicts_tallied(latest_verdicts(mine))


def latest_verdicts(feedback: pd.DataFrame) -> pd.DataFrame:
    """Each lead's latest verdict (by at, then id): feedback rows, one per lead."""
    return feedback.sort_values(["lead_id", "at", "id"], kind="stable").drop_duplicates(
        "lead_id", keep="last"
    )


def verdicts_tallied(latest: pd.DataFrame) -> dict[str, Any]:
    """``handoff_quality``'s answer from each lead's latest verdict (verdict, reason)."""
    tally = Tally()
    alike = latest.groupby(["verdict", "reason"], dropna=False, sort=False).size()
    for (verdict, reason), times in alike.items():
        tally.add(verdict, None if pd.isna(reason) else reason, times=int(times))
    return tally.verdicts()


LOST_BREAKDOWNS = ("campaign", "channel", "stage", "owner")


def lost_reasons_of(
    stages: pd.DataFrame, leads: pd.DataFrame, moves: pd.DataFrame, campaigns: pd.DataFrame
) -> dict[str, Any]:
    """Why deals are lost: each lead that entered a lost stage counts once, with the
    reason of its latest kept entry (``moves``: the effective transitions, by lead
    in time order). ``reasons``: leads per reason, most first; ``by``: the same per
    campaign, channel, stage left and owner (``key`` None: none)."""
    lost_ids = stages.loc[stages["kind"] == "lost", "id"]
    entries = moves[moves["to_stage_id"].isin(lost_ids)]
    latest = entries.drop_duplicates("lead_id", keep="last")
    reasons = (
        latest["reason"].astype(str)
        if "reason" in latest.columns
        else pd.Series("", index=latest.index, dtype=object)
    )
    # Reasons counted by their codes: one factorization of the text, not one per count.
    codes, reason_names = pd.factorize(reasons.replace("", "No reason").to_numpy())
    frame = pd.DataFrame(
        {
            "lead_id": latest["lead_id"].to_numpy(),
            "reason": codes,
            "stage": latest["from_stage_id"].to_numpy(),
        }
    )
    info = leads.set_index("id")
    frame["campaign"] = frame["lead_id"].map(info["campaign_id"])
    frame["owner"] = (
        frame["lead_id"].map(info["owner_id"]) if "owner_id" in info.columns else np.nan
    )
    channel_of = campaigns.set_index("id")["channel"] if len(campaigns) else pd.Series(dtype=object)
    frame["channel"] = frame["campaign"].map(channel_of)
    names = {
        "campaign": campaigns.set_index("id")["name"]
        if len(campaigns)
        else pd.Series(dtype=object),
        "stage": stages.set_index("id")["name"],
    }
    used, counts = np.unique(codes, return_counts=True)
    total = ranked(zip(reason_names[used], counts, strict=True))
    by: dict[str, list[dict[str, Any]]] = {}
    for dimension in LOST_BREAKDOWNS:
        rows = []
        # One count per (key, reason), not one per key and then per reason.
        sizes = frame.groupby([dimension, "reason"], sort=False, dropna=False).size()
        counted: dict[Any, list[tuple[Any, int]]] = {}
        for (key, reason), count in sizes.items():
            key_value = None if pd.isna(key) else key
            if isinstance(key_value, float) and key_value.is_integer():
                key_value = int(key_value)
            counted.setdefault(key_value, []).append((reason_names[reason], int(count)))
        for key_value, pairs in counted.items():
            row: dict[str, Any] = {
                "key": key_value,
                "leads": sum(count for _, count in pairs),
                "reasons": ranked(pairs),
            }
            # Channels are their own names; owners are named by the caller (people
            # are no frame here): None until then.
            named = names.get(dimension)
            if key_value is None or dimension == "owner":
                row["name"] = None
            elif named is None:
                row["name"] = str(key_value)
            else:
                row["name"] = named.get(key_value)
            rows.append(row)
        rows.sort(key=lambda row: (-row["leads"], str(row["key"])))
        by[dimension] = rows
    return {"leads": len(frame), "reasons": total, "by": by}


def ranked(counts: Any) -> list[dict[str, Any]]:
    """(reason, leads) pairs, most leads first, then by reason."""
    return [
        {"reason": str(reason), "leads": int(count)}
        for reason, count in sorted(counts, key=lambda item: (-item[1], str(item[0])))
    ]


def board_numbers(
    *,
    stages: pd.DataFrame,
    leads: pd.DataFrame,
    transitions: pd.DataFrame,
    campaigns: pd.DataFrame,
    feedback: pd.DataFrame,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """Every number of the funnel panel: what ``GET /funnel/`` answers."""
    if channel is not None:
        leads = leads_in_channel(leads, campaigns, channel)
        campaigns = campaigns[campaigns["channel"] == channel]
    cohort_leads = cohort(leads, start, end)
    moves = effective(transitions, cohort_leads["id"])  # once: the costly step
    return numbers_of(stages, cohort_leads, paths_of(moves, stages), campaigns, feedback, now)


@dataclass(frozen=True)
class Paths:
    """What the numbers read of the leads' kept transitions, lead by lead: each row
    belongs to one lead and follows from that lead's moves alone, so the rows of a lead
    that moved can be replaced without reading anyone else's (``funnel.numbers.ledger``).

    ``reach``: lead id -> furthest funnel rank; ``stays``: ``stays_of``; ``lost``: the
    entries into lost stages, by lead in time order; ``firsts``: per lead its first move
    and its first entry into Won (what ``velocity_of`` reads)."""

    reach: pd.Series
    stays: pd.DataFrame
    lost: pd.DataFrame
    firsts: pd.DataFrame

    def without(self, lead_ids: Any) -> Paths:
        """These paths less the rows of ``lead_ids``."""
        return Paths(
            reach=self.reach[~self.reach.index.isin(lead_ids)],
            stays=self.stays[~self.stays["lead_id"].isin(lead_ids)],
            lost=self.lost[~self.lost["lead_id"].isin(lead_ids)],
            firsts=self.firsts[~self.firsts["lead_id"].isin(lead_ids)],
        )

    def joined(self, other: Paths) -> Paths:
        """The rows of both (of different leads)."""
        return Paths(
            reach=concat_rows(self.reach, other.reach),
            stays=concat_rows(self.stays, other.stays),
            lost=concat_rows(self.lost, other.lost),
            firsts=concat_rows(self.firsts, other.firsts),
        )


def concat_rows[F: (pd.DataFrame, pd.Series)](first: F, second: F) -> F:
    if second.empty:
        return first
    if first.empty:
        return second
    return pd.concat([first, second], ignore_index=isinstance(first, pd.DataFrame))


def paths_of(moves: pd.DataFrame, stages: pd.DataFrame) -> Paths:
    """The ``Paths`` of ``effective`` transitions."""
    lost_ids = stages.loc[stages["kind"] == "lost", "id"]
    won_ids = stages.loc[stages["kind"] == "won", "id"]
    firsts = pd.concat(
        [
            moves.drop_duplicates("lead_id", keep="first"),
            moves[moves["to_stage_id"].isin(won_ids)].drop_duplicates("lead_id", keep="first"),
        ]
    )
    return Paths(
        reach=furthest_reach(moves, stages),
        stays=stays_of(moves),
        lost=moves[moves["to_stage_id"].isin(lost_ids)],
        firsts=firsts[["lead_id", "to_stage_id", "at"]],
    )


def numbers_of(
    stages: pd.DataFrame,
    cohort_leads: pd.DataFrame,
    paths: Paths,
    campaigns: pd.DataFrame,
    feedback: pd.DataFrame,
    now: datetime,
) -> dict[str, Any]:
    """``board_numbers`` of a cohort's leads and their ``paths``."""
    reach, lost = paths.reach, paths.lost
    figures = stage_figures_of(stages, cohort_leads, lost, now, reach, stay_days(paths.stays, now))
    figures["campaigns"] = campaign_figures_of(stages, cohort_leads, lost, campaigns, reach)
    figures["cohorts"] = weekly_cohorts_of(stages, cohort_leads, lost, reach)
    figures["velocity"] = velocity_of(stages, paths.firsts)
    figures["handoff"] = handoff_quality(leads=cohort_leads, feedback=feedback)
    figures["lost_reasons"] = lost_reasons_of(stages, cohort_leads, lost, campaigns)
    return figures


def empty_frame(dtypes: dict[str, Any]) -> pd.DataFrame:
    """A frame without rows, its columns of these types."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def empty_transitions() -> pd.DataFrame:
    return empty_frame(
        {
            "id": "int64",
            "lead_id": "int64",
            "from_stage_id": "float64",
            "to_stage_id": "int64",
            "at": "datetime64[ns, UTC]",
            "undone": "bool",
            "reason": object,
        }
    )


def empty_feedback() -> pd.DataFrame:
    return empty_frame(
        {
            "id": "int64",
            "lead_id": "int64",
            "verdict": object,
            "reason": object,
            "at": "datetime64[ns, UTC]",
        }
    )
