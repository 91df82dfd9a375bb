"""A board's numbers kept lead by lead: when leads move, only their rows are worked out
again, never the whole log.

``analytics.board_numbers`` reads every transition of the board on each call (the
specification: pure functions on the whole log). Every part of it that reads the
transitions is a sum over leads (``analytics.Paths``: a lead's rows follow from that
lead's moves alone), so a ``Ledger`` holds the leads and their paths and, when some
leads change (a move, an undo, an edit, an import), replaces their rows from their own
transitions: the cost of a change grows with the leads it touches, not with the board.
``numbers`` answers what ``board_numbers`` answers for the whole board (no cohort, no
channel) at a moment ``now``. A change to the stages (order, kind) changes every lead's
reach: ``fits`` says when a ledger must be built again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from funnel.numbers import analytics


def stages_shape(stages: pd.DataFrame) -> tuple[Any, ...]:
    """What a ledger's paths depend on in the stages: the funnel's ranks and the lost stages."""
    ranks = analytics.funnel_ranks(stages)
    lost = stages.loc[stages["kind"] == "lost", "id"]
    won = stages.loc[stages["kind"] == "won", "id"]
    return (
        tuple(sorted((int(k), float(v)) for k, v in ranks.items())),
        tuple(sorted(int(i) for i in lost)),
        tuple(sorted(int(i) for i in won)),
    )


@dataclass(frozen=True)
class Ledger:
    """The leads (``analytics`` leads frame) and their paths, for stages of one shape."""

    shape: tuple[Any, ...]
    leads: pd.DataFrame
    paths: analytics.Paths

    @classmethod
    def of(cls, stages: pd.DataFrame, leads: pd.DataFrame, transitions: pd.DataFrame) -> Ledger:
        """The ledger of the board's leads and every transition (``transitions_frame``)."""
        moves = analytics.effective(transitions, leads["id"])
        return cls(stages_shape(stages), leads, analytics.paths_of(moves, stages))

    def fits(self, stages: pd.DataFrame) -> bool:
        """Do the paths still hold for ``stages`` (names and colours may change)?"""
        return stages_shape(stages) == self.shape

    def replaced(
        self,
        lead_ids: Iterable[int],
        stages: pd.DataFrame,
        leads: pd.DataFrame,
        transitions: pd.DataFrame,
    ) -> Ledger:
        """This ledger with the rows of ``lead_ids`` as they are now: ``leads``, their
        rows in the leads frame (a lead missing there has left the numbers), and
        ``transitions``, their every transition. Other leads' rows are not read."""
        ids = pd.Index(list(lead_ids), dtype="int64")
        now_leads = leads[leads["id"].isin(ids)]
        moves = analytics.effective(transitions[transitions["lead_id"].isin(ids)], now_leads["id"])
        kept = self.leads[~self.leads["id"].isin(ids)]
        return Ledger(
            self.shape,
            analytics.concat_rows(kept, now_leads),
            self.paths.without(ids).joined(analytics.paths_of(moves, stages)),
        )

    def numbers(
        self,
        stages: pd.DataFrame,
        campaigns: pd.DataFrame,
        feedback: pd.DataFrame,
        now: datetime,
    ) -> dict[str, Any]:
        """``analytics.board_numbers`` of the whole board, from the kept rows."""
        return analytics.numbers_of(stages, self.leads, self.paths, campaigns, feedback, now)
