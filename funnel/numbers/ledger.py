"""A board's numbers kept lead by lead: when leads move, only their rows are worked out
again, never the whole log.

``analytics.board_numbers`` reads every transition of the board on each call: it is the
specification (pure functions on the whole log). Every part of it that reads the
transitions is a sum over leads (``analytics.Paths``: a lead's rows follow from that
lead's moves alone), so a ``Ledger`` holds each lead's row and its paths in flat arrays
and, when some leads change (a move, an undo, an edit, an import), drops their rows and
appends new ones worked out from their own transitions: the cost of a change grows with
the leads it touches, not with the board. A lead's stays and lost entries sit in one
contiguous run of rows (``analytics.paths_of`` writes them lead by lead), so dropping
them is a slice. ``numbers`` answers what ``board_numbers`` answers for the whole board
(no cohort, no channel) at a moment ``now``, from counts over the live rows (bincounts,
one pass per figure), and the specification's own row builders (``stage_rows``,
``campaign_row``, ``cohort_row``), so the rates and roundings are written once.

A change to the stages (order, kind) changes every lead's reach: ``fits`` says when a
ledger must be built again. A ledger is not thread-safe: its keeper holds a lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from funnel.numbers import analytics

DAY_NS = analytics.DAY_SECONDS * 1e9


def stages_shape(stages: pd.DataFrame) -> tuple[Any, ...]:
    """What a ledger's paths depend on in the stages: the funnel's ranks, the won and
    lost stages."""
    ranks = analytics.funnel_ranks(stages)
    lost = stages.loc[stages["kind"] == "lost", "id"]
    won = stages.loc[stages["kind"] == "won", "id"]
    return (
        tuple(sorted((int(k), float(v)) for k, v in ranks.items())),
        tuple(sorted(int(i) for i in lost)),
        tuple(sorted(int(i) for i in won)),
    )


class Rows:
    """Columns of equal length that grow at the end (capacity doubles) and whose rows
    die in place (``alive``); ``compacted`` drops the dead ones."""

    def __init__(self, dtypes: dict[str, Any]) -> None:
        self.dtypes = dtypes
        self.size = 0
        self.columns = {name: np.empty(0, dtype=dtype) for name, dtype in dtypes.items()}
        self.columns["alive"] = np.empty(0, dtype=bool)
        self.dead = 0

    def append(self, values: dict[str, np.ndarray]) -> tuple[int, int]:
        """Appends rows (every column given, equal lengths); their [start, end)."""
        count = len(next(iter(values.values()))) if values else 0
        start, end = self.size, self.size + count
        if end > len(self.columns["alive"]):
            capacity = max(end, 2 * len(self.columns["alive"]), 64)
            for name, column in self.columns.items():
                grown = np.empty(capacity, dtype=column.dtype)
                grown[: self.size] = column[: self.size]
                self.columns[name] = grown
        for name in self.dtypes:
            self.columns[name][start:end] = values[name]
        self.columns["alive"][start:end] = True
        self.size = end
        return start, end

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the room to grow: only the first ``size`` rows."""
        columns = {name: column[: self.size] for name, column in self.columns.items()}
        return self.__dict__ | {"columns": columns}

    def kill(self, start: int, end: int) -> None:
        self.columns["alive"][start:end] = False
        self.dead += end - start

    def live(self, name: str) -> np.ndarray:
        return self.columns[name][: self.size][self.columns["alive"][: self.size]]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name][: self.size]


LEAD_COLUMNS = {
    "id": "int64",
    "stage_id": "int64",
    "campaign_id": "float64",
    "created_at": "int64",
    "value": "float64",
    "owner_id": "float64",
    "reach": "float64",
    "entered": "int64",  # first kept move (ns); -1: none
    "won_at": "int64",  # first kept entry into Won (ns); -1: none
    "verdict": object,  # the latest verdict on the lead (None: none)
    "verdict_reason": object,
    "stay_start": "int64",
    "stay_end": "int64",
    "lost_start": "int64",
    "lost_end": "int64",
}
STAY_COLUMNS = {"stage_id": "int64", "at": "int64", "ended": "int64", "finished": bool}
LOST_COLUMNS = {
    "lead_id": "int64",
    "from_stage_id": "float64",
    "to_stage_id": "int64",
    "first_to": bool,  # the lead's first row into this lost stage (it reached it)
    "first_from": bool,  # its first row from this stage into a lost one (it dropped there)
}


class Ledger:
    """The leads of a board and their paths, for stages of one shape."""

    def __init__(self, shape: tuple[Any, ...]) -> None:
        self.shape = shape
        self.leads = Rows(LEAD_COLUMNS)
        self.stays = Rows(STAY_COLUMNS)
        self.lost = Rows(LOST_COLUMNS)
        self.reasons: list[str] = []  # the lost rows' reasons, by row
        self.slot: dict[int, int] = {}  # lead id -> its row in ``leads``
        self.lost_ids = np.array(shape[1], dtype="int64")
        self.won_ids = np.array(shape[2], dtype="int64")

    @classmethod
    def of(
        cls,
        stages: pd.DataFrame,
        leads: pd.DataFrame,
        transitions: pd.DataFrame,
        feedback: pd.DataFrame,
    ) -> Ledger:
        """The ledger of the board's leads, every transition (``transitions_frame``) and
        every verdict (``feedback_frame``)."""
        ledger = cls(stages_shape(stages))
        ledger.add(stages, leads, transitions, feedback)
        return ledger

    def fits(self, stages: pd.DataFrame) -> bool:
        """Do the paths still hold for ``stages`` (names and colours may change)?"""
        return stages_shape(stages) == self.shape

    def replace(
        self,
        lead_ids: Iterable[int],
        stages: pd.DataFrame,
        leads: pd.DataFrame,
        transitions: pd.DataFrame,
        feedback: pd.DataFrame,
    ) -> None:
        """The rows of ``lead_ids`` as they are now: ``leads``, their rows in the leads
        frame (a lead missing there has left the numbers), ``transitions`` and
        ``feedback``, their every transition and verdict. Other leads' rows are not read."""
        ids = {int(i) for i in lead_ids}
        if not ids:
            return
        rows = self.leads
        for lead_id in ids:
            slot = self.slot.pop(lead_id, None)
            if slot is None:
                continue
            rows.kill(slot, slot + 1)
            self.stays.kill(int(rows["stay_start"][slot]), int(rows["stay_end"][slot]))
            self.lost.kill(int(rows["lost_start"][slot]), int(rows["lost_end"][slot]))
        wanted = pd.Index(sorted(ids), dtype="int64")
        self.add(
            stages,
            leads[leads["id"].isin(wanted)],
            transitions[transitions["lead_id"].isin(wanted)],
            feedback[feedback["lead_id"].isin(wanted)],
        )
        if self.stays.dead > max(self.stays.size // 2, 10_000):
            self.compact()

    def add(
        self,
        stages: pd.DataFrame,
        leads: pd.DataFrame,
        transitions: pd.DataFrame,
        feedback: pd.DataFrame,
    ) -> None:
        """Appends leads not in the ledger, with their paths and latest verdicts."""
        leads = leads.sort_values("id")
        moves = analytics.effective(transitions, leads["id"])
        paths = analytics.paths_of(moves, stages)
        ids = leads["id"].to_numpy(dtype="int64")
        stays_runs = runs(paths.stays["lead_id"].to_numpy(dtype="int64"), ids)
        lost_runs = runs(paths.lost["lead_id"].to_numpy(dtype="int64"), ids)
        stay_span = self.stays.append({name: paths.stays[name].to_numpy() for name in STAY_COLUMNS})
        lost = paths.lost
        lost_span = self.lost.append(
            {
                "lead_id": lost["lead_id"].to_numpy(),
                "from_stage_id": lost["from_stage_id"].to_numpy(dtype="float64"),
                "to_stage_id": lost["to_stage_id"].to_numpy(),
                "first_to": ~lost.duplicated(["lead_id", "to_stage_id"]).to_numpy(),
                # A lead created in Lost dropped from no stage (as the analytics' groupby).
                "first_from": (
                    ~lost.duplicated(["lead_id", "from_stage_id"]) & lost["from_stage_id"].notna()
                ).to_numpy(),
            }
        )
        # As ``lost_reasons_of`` reads them: the column as text, "" without one.
        reasons = paths.lost["reason"].astype(str) if "reason" in paths.lost else None
        self.reasons[lost_span[0] :] = (
            reasons.tolist() if reasons is not None else [""] * len(paths.lost)
        )
        firsts = paths.firsts
        entered = firsts.drop_duplicates("lead_id", keep="first").set_index("lead_id")["at"]
        won = firsts[firsts["to_stage_id"].isin(self.won_ids)]
        won_at = won.groupby("lead_id")["at"].min()
        verdicts = analytics.latest_verdicts(feedback).set_index("lead_id")
        start, _ = self.leads.append(
            {
                "id": ids,
                "stage_id": leads["stage_id"].to_numpy(dtype="int64"),
                "campaign_id": leads["campaign_id"].to_numpy(dtype="float64"),
                "created_at": nanoseconds(leads["created_at"]),
                "value": leads["value"].to_numpy(dtype="float64"),
                "owner_id": (
                    leads["owner_id"].to_numpy(dtype="float64")
                    if "owner_id" in leads
                    else np.full(len(ids), np.nan)
                ),
                "reach": paths.reach.reindex(ids).to_numpy(dtype="float64"),
                "entered": moments(entered, ids),
                "won_at": moments(won_at, ids),
                "verdict": verdicts["verdict"].reindex(ids).to_numpy(dtype=object),
                "verdict_reason": verdicts["reason"].reindex(ids).to_numpy(dtype=object),
                "stay_start": stays_runs[0] + stay_span[0],
                "stay_end": stays_runs[1] + stay_span[0],
                "lost_start": lost_runs[0] + lost_span[0],
                "lost_end": lost_runs[1] + lost_span[0],
            }
        )
        for offset, lead_id in enumerate(ids):
            self.slot[int(lead_id)] = start + offset

    def compact(self) -> None:
        """Drops the dead rows (a ledger built again from its own live rows)."""
        leads, stays, lost = self.leads, self.stays, self.lost
        alive = leads["alive"]
        order = np.flatnonzero(alive)
        fresh = Ledger(self.shape)
        stay_parts, lost_parts, reasons = [], [], []
        stay_start, stay_end, lost_start, lost_end = [], [], [], []
        at_stay = at_lost = 0
        for slot in order:
            a, b = int(leads["stay_start"][slot]), int(leads["stay_end"][slot])
            c, d = int(leads["lost_start"][slot]), int(leads["lost_end"][slot])
            stay_parts.append(np.arange(a, b))
            lost_parts.append(np.arange(c, d))
            reasons.extend(self.reasons[c:d])
            stay_start.append(at_stay)
            at_stay += b - a
            stay_end.append(at_stay)
            lost_start.append(at_lost)
            at_lost += d - c
            lost_end.append(at_lost)
        stay_rows = np.concatenate(stay_parts) if stay_parts else np.empty(0, dtype="int64")
        lost_rows = np.concatenate(lost_parts) if lost_parts else np.empty(0, dtype="int64")
        fresh.stays.append({name: stays[name][stay_rows] for name in STAY_COLUMNS})
        fresh.lost.append({name: lost[name][lost_rows] for name in LOST_COLUMNS})
        fresh.reasons = reasons
        columns = {name: leads[name][order] for name in LEAD_COLUMNS}
        columns |= {
            "stay_start": np.array(stay_start, dtype="int64"),
            "stay_end": np.array(stay_end, dtype="int64"),
            "lost_start": np.array(lost_start, dtype="int64"),
            "lost_end": np.array(lost_end, dtype="int64"),
        }
        fresh.leads.append(columns)
        self.leads, self.stays, self.lost, self.reasons = (
            fresh.leads,
            fresh.stays,
            fresh.lost,
            fresh.reasons,
        )
        self.slot = {int(lead_id): n for n, lead_id in enumerate(columns["id"])}

    def nbytes(self) -> int:
        """About what the ledger holds in memory."""
        arrays = [*self.leads.columns.values(), *self.stays.columns.values()]
        arrays += self.lost.columns.values()
        # A reason is a shared string mostly: a pointer each; a slot ~100 bytes.
        return sum(a.nbytes for a in arrays) + 8 * len(self.reasons) + 100 * len(self.slot)

    def leads_frame(self) -> pd.DataFrame:
        """The live leads as the analytics' leads frame."""
        rows = self.leads
        return pd.DataFrame(
            {
                "id": rows.live("id"),
                "stage_id": rows.live("stage_id"),
                "campaign_id": rows.live("campaign_id"),
                "created_at": utc_moments(rows.live("created_at")),
                "value": rows.live("value"),
                "owner_id": rows.live("owner_id"),
            }
        )

    def numbers(
        self, stages: pd.DataFrame, campaigns: pd.DataFrame, now: datetime
    ) -> dict[str, Any]:
        """``analytics.board_numbers`` of the whole board, from the kept rows."""
        leads = self.leads_frame()
        reach = self.leads.live("reach")
        ranks = analytics.funnel_ranks(stages)
        rank_values = sorted(set(ranks.astype(int)))
        reached_by_rank = {r: int(np.count_nonzero(reach >= r)) for r in rank_values}

        lost_to = self.lost.live("to_stage_id")
        lost_from = self.lost.live("from_stage_id")
        lost_reached = pd.Series(lost_to[self.lost.live("first_to")]).value_counts()
        dropped = pd.Series(lost_from[self.lost.live("first_from")]).value_counts()
        current = leads.groupby("stage_id")["id"].count()

        stay_stage = self.stays.live("stage_id")
        finished = self.stays.live("finished")
        at = self.stays.live("at")
        ended = np.where(finished, self.stays.live("ended"), pd.Timestamp(now).as_unit("ns").value)
        days = (ended - at) / 1e9 / analytics.DAY_SECONDS
        spans = {}
        for sid in stages["id"]:
            here = stay_stage == int(sid)
            spans[(int(sid), True)] = pd.Series(days[here & finished])
            spans[(int(sid), False)] = pd.Series(days[here & ~finished])
        empty = pd.Series(dtype="float64")
        figures = analytics.stage_rows(
            stages,
            reached_by_rank,
            lost_reached,
            dropped,
            current,
            done=lambda sid: spans.get((int(sid), True), empty),
            ongoing=lambda sid: spans.get((int(sid), False), empty),
            leads=len(leads),
        )
        figures["campaigns"] = self.campaign_figures(stages, leads, reach, ranks, campaigns)
        figures["cohorts"] = self.cohorts(stages, leads, reach, ranks)
        figures["velocity"] = self.velocity(stages)
        figures["handoff"] = analytics.verdicts_tallied(self.verdicts())
        figures["lost_reasons"] = analytics.lost_reasons_of(
            stages, leads, self.latest_lost(), campaigns
        )
        return figures

    def campaign_figures(
        self,
        stages: pd.DataFrame,
        leads: pd.DataFrame,
        reach: np.ndarray,
        ranks: pd.Series,
        campaigns: pd.DataFrame,
    ) -> list[dict[str, Any]]:
        opens = stages[stages["kind"] == "open"].sort_values("position")
        sql_stage = analytics.sql_stage_id(opens)
        mql_stage = analytics.stage_before(opens, sql_stage)
        won_ids = set(stages.loc[stages["kind"] == "won", "id"])
        campaign_of = leads["campaign_id"].to_numpy()
        in_won = leads["stage_id"].isin(won_ids).to_numpy()
        values = leads["value"].to_numpy()
        result = []
        for _, campaign in campaigns.sort_values("name").iterrows():
            mine = campaign_of == campaign["id"]
            theirs = reach[mine]
            reached = {
                str(int(sid)): int(np.count_nonzero(theirs >= int(r))) for sid, r in ranks.items()
            }
            won_value = float(pd.Series(values[mine & in_won]).sum())
            result.append(
                analytics.campaign_row(
                    campaign,
                    int(np.count_nonzero(mine)),
                    reached,
                    won_value,
                    won_ids,
                    sql_stage,
                    mql_stage,
                )
            )
        return result

    def cohorts(
        self, stages: pd.DataFrame, leads: pd.DataFrame, reach: np.ndarray, ranks: pd.Series
    ) -> list[dict[str, Any]]:
        if leads.empty:
            return []
        mondays, codes = np.unique(
            analytics.monday_days(leads["created_at"]).to_numpy(), return_inverse=True
        )
        names = analytics.week_labels(mondays)
        labels = [names[int(day)] for day in mondays]
        entered = np.bincount(codes, minlength=len(labels))
        ordered = [
            (int(sid), int(ranks[sid]))
            for sid in stages.sort_values("position")["id"]
            if sid in ranks
        ]
        by_rank = {
            rank: np.bincount(codes[reach >= rank], minlength=len(labels))
            for rank in {r for _, r in ordered}
        }
        return [
            analytics.cohort_row(
                str(label),
                int(entered[n]),
                {str(sid): int(by_rank[rank][n]) for sid, rank in ordered},
            )
            for n, label in enumerate(labels)
        ]

    def velocity(self, stages: pd.DataFrame) -> dict[str, Any]:
        """``analytics.velocity_of``: each won lead's first move to its first entry into Won."""
        entered = self.leads.live("entered")
        won_at = self.leads.live("won_at")
        won = (won_at >= 0) & (entered >= 0)
        spans = pd.Series((won_at[won] - entered[won]).astype("timedelta64[ns]"))
        return analytics.velocity_figures(spans)

    def verdicts(self) -> pd.DataFrame:
        """Each live lead's latest verdict: lead_id, verdict, reason."""
        verdict = self.leads.live("verdict")
        given = pd.notna(verdict)
        return pd.DataFrame(
            {
                "lead_id": self.leads.live("id")[given],
                "verdict": verdict[given],
                "reason": self.leads.live("verdict_reason")[given],
            }
        )

    def latest_lost(self) -> pd.DataFrame:
        """Each lead's latest kept entry into a lost stage (the last of its run)."""
        rows = self.leads
        alive = rows["alive"]
        start, end = rows["lost_start"][alive], rows["lost_end"][alive]
        last = (end - 1)[end > start]
        return pd.DataFrame(
            {
                "lead_id": self.lost["lead_id"][last],
                "from_stage_id": self.lost["from_stage_id"][last],
                "to_stage_id": self.lost["to_stage_id"][last],
                "reason": [self.reasons[n] for n in last],
            }
        )


def runs(lead_of_row: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per lead of ``ids`` (sorted), the [start, end) of its rows in ``lead_of_row``
    (rows grouped by lead, leads in ``ids``' order)."""
    return (
        np.searchsorted(lead_of_row, ids, side="left"),
        np.searchsorted(lead_of_row, ids, side="right"),
    )


def utc_moments(ns: np.ndarray) -> pd.Series:
    """Nanoseconds since 1970 as UTC moments."""
    return pd.Series(ns.astype("datetime64[ns]")).dt.tz_localize("UTC")


def nanoseconds(moments: pd.Series) -> np.ndarray:
    return moments.astype("datetime64[ns, UTC]").astype("int64").to_numpy()


def moments(by_lead: pd.Series, ids: np.ndarray) -> np.ndarray:
    """Per lead of ``ids``, its moment in ``by_lead`` (ns), -1 where it has none."""
    if by_lead.empty:
        return np.full(len(ids), -1, dtype="int64")
    ns = pd.Series(nanoseconds(by_lead), index=by_lead.index)
    return ns.reindex(ids).fillna(-1).to_numpy(dtype="int64")
