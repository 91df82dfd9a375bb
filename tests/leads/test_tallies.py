"""The stage tallies (``StageTally``) equal a fresh count after every kind of write,
and ``/state/`` answers the same from them as from aggregating the leads."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings

from leads.models import DEFAULT_LOST_REASONS, Lead, Stage, StageTally
from leads.selectors import state as state_selectors
from leads.selectors.state import board_state_get
from leads.services import (
    campaign_move,
    lead_create,
    lead_move,
    lead_update,
    transition_undo,
)
from leads.services.archive import lead_archive, lead_erase, lead_restore
from leads.services.bulk import leads_bulk_move, leads_bulk_update
from leads.services.imports import leads_import
from leads.services.stages import stage_delete
from leads.services.tallies import board_tallies_drift, board_tallies_rebuild, tallies_shift
from leads.services.upsert import lead_upsert
from tests.histories import LEAD_WRITES, ON_ONE_BOARD, histories, write

LOST = DEFAULT_LOST_REASONS[0]


def exact(board) -> None:
    assert board_tallies_drift(board) == {}


def kept(board, stage) -> tuple[int, int]:
    rows = StageTally.objects.filter(board=board, stage=stage)
    return sum(r.count for r in rows), sum(r.value_cents for r in rows)


@pytest.fixture
def two(board, owner, stages, campaign):
    a = lead_create(board_id=board.pk, actor=owner, name="A", value=100, campaign_id=campaign.pk)
    b = lead_create(board_id=board.pk, actor=owner, name="B", value=Decimal("0.10"))
    return a, b


class TestWritePaths:
    def test_create_counts_and_sums_in_cents(self, board, stages, two):
        assert kept(board, stages.New) == (2, 10010)
        exact(board)

    def test_move_shifts_both_stages(self, board, owner, stages, two):
        a, _ = two
        lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner)
        assert kept(board, stages.New) == (1, 10)
        assert kept(board, stages.SQL) == (1, 10000)
        exact(board)
        lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner, position=0)  # reorder
        exact(board)

    def test_value_and_campaign_change(self, board, owner, stages, two, campaign):
        a, b = two
        lead_update(lead_id=a.pk, actor=owner, value=Decimal("250.55"))
        lead_update(lead_id=b.pk, actor=owner, campaign=campaign.pk)
        lead_update(lead_id=a.pk, actor=owner, campaign=None)
        assert kept(board, stages.New) == (2, 25065)
        exact(board)

    def test_archive_restore_erase(self, board, owner, stages, two):
        a, b = two
        lead_archive(lead_id=a.pk, actor=owner)
        assert kept(board, stages.New) == (1, 10)
        exact(board)
        lead_restore(lead_id=a.pk, actor=owner)
        exact(board)
        lead_erase(lead_id=b.pk, actor=owner, confirm="B")
        lead_archive(lead_id=a.pk, actor=owner)
        lead_erase(lead_id=a.pk, actor=owner, confirm="A")  # archived already: no second shift
        assert kept(board, stages.New) == (0, 0)
        exact(board)

    def test_bulk_move_bulk_update_and_undo(self, board, owner, stages, two, campaign):
        ids = [lead.pk for lead in two]
        moved = leads_bulk_move(
            board_id=board.pk, actor=owner, lead_ids=ids, to_stage_id=stages.Lost.pk, reason=LOST
        )
        exact(board)
        leads_bulk_update(board_id=board.pk, actor=owner, lead_ids=ids, campaign=campaign.pk)
        exact(board)
        transition_undo(board_id=board.pk, actor=owner, batch=moved.batch)
        assert kept(board, stages.New) == (2, 10010)
        exact(board)

    def test_campaign_move_and_single_undo(self, board, owner, stages, two, campaign):
        campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages.New.pk,
            to_stage_id=stages.MQL.pk,
            actor=owner,
        )
        assert kept(board, stages.MQL) == (1, 10000)
        exact(board)
        a, _ = two
        move = lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner)
        transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
        exact(board)

    def test_import_creates_and_moves(self, board, owner, stages, two):
        data = b"Name,Email,Stage,Amount\nNew One,n@x.io,MQL,12.5\nOther,o@x.io,SQL,3\n"
        leads_import(board_id=board.pk, actor=owner, data=data)
        exact(board)
        again = b"Name,Email,Stage,Amount\nNew One,n@x.io,Won,99\n"
        leads_import(board_id=board.pk, actor=owner, data=again)
        exact(board)
        assert kept(board, stages.Won)[0] == 1

    def test_upsert(self, board, owner, stages):
        lead_upsert(board_id=board.pk, actor=owner, external_id="x1", fields={"name": "X"})
        lead_upsert(
            board_id=board.pk,
            actor=owner,
            external_id="x1",
            fields={"name": "X", "stage": "SQL", "value": "40"},
        )
        assert kept(board, stages.SQL) == (1, 4000)
        exact(board)

    def test_stage_delete_moves_the_tallies_and_undo_brings_them_back(
        self, board, owner, stages, two
    ):
        a, _ = two
        lead_move(lead_id=a.pk, to_stage_id=stages.MQL.pk, actor=owner)
        lead_archive(lead_id=a.pk, actor=owner)  # archived leads move too, uncounted
        b = lead_create(board_id=board.pk, actor=owner, name="C", stage_id=stages.MQL.pk, value=7)
        removed = stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        assert kept(board, stages.SQL) == (1, 700)
        exact(board)
        transition_undo(board_id=board.pk, actor=owner, batch=removed.batch)
        exact(board)
        assert Lead.objects.get(pk=b.pk).stage_id == stages.MQL.pk

    def test_drift_is_reported_and_rebuilt(self, board, stages, two):
        day = two[1].stage_entered_at.astimezone(UTC).date()
        tallies_shift(board.pk, [(stages.New.pk, None, 3, 5, day)])
        assert board_tallies_drift(board) == {
            (stages.New.pk, 0): {"kept": (4, 15), "fresh": (1, 10)},
            (stages.New.pk, day): {"kept": 5, "fresh": 2},  # both leads entered New today
        }
        board_tallies_rebuild(board)
        exact(board)


class TestCommand:
    def test_reports_then_rebuilds_one_board(self, board, stages, two):
        tallies_shift(board.pk, [(stages.SQL.pk, None, 1, 0, timezone.now())])
        out = StringIO()
        call_command("tallies", stdout=out)
        assert f"board {board.pk} stage {stages.SQL.pk}" in out.getvalue()
        assert "1 board(s) drifted" in out.getvalue()
        assert board_tallies_drift(board)  # reporting mends nothing
        call_command("tallies", "--rebuild", "--board", str(board.pk), stdout=StringIO())
        exact(board)
        out = StringIO()
        call_command("tallies", stdout=out)
        assert "0 board(s) drifted" in out.getvalue()


def state_fresh(board, user, monkeypatch) -> dict:
    """``/state/`` as aggregating over the leads answers it (tallies bypassed)."""
    with monkeypatch.context() as m:
        m.setattr(state_selectors, "filters_active", lambda filters: True)
        return board_state_get(board_id=board.pk, user=user)


def comparable(state: dict) -> dict:
    return {"stages": state["stages"], "campaigns": state["campaigns"], "handoff": state["handoff"]}


class TestStateSameAnswers:
    def test_state_from_tallies_equals_fresh_aggregation(
        self, board, owner, stages, two, campaign, monkeypatch
    ):
        a, b = two
        Stage.objects.filter(pk=stages.New.pk).update(sla_days=1)
        lead_move(lead_id=b.pk, to_stage_id=stages.SQL.pk, actor=owner)
        lead_archive(lead_id=a.pk, actor=owner)
        lead_create(board_id=board.pk, actor=owner, name="Old", value=5)
        Lead.objects.filter(name="Old").update(stage_entered_at="2020-01-01T00:00:00Z")
        board_tallies_rebuild(board)  # the shell's edit passed the write paths
        kept_state = board_state_get(board_id=board.pk, user=owner)
        assert comparable(kept_state) == comparable(state_fresh(board, owner, monkeypatch))
        new = kept_state["stages"][0]
        assert (new["count"], new["value"], new["overdue"]) == (1, 5.0, 1)


@settings(max_examples=30, **ON_ONE_BOARD)
@given(ops=histories(LEAD_WRITES))
def test_random_histories_keep_tallies_exact(board, owner, campaign, monkeypatch, ops):
    for op, n in ops:
        write(board, owner, campaign, op, n)
        exact(board)
    kept_state = board_state_get(board_id=board.pk, user=owner)
    assert comparable(kept_state) == comparable(state_fresh(board, owner, monkeypatch))


@pytest.mark.parametrize(
    ("days", "overdue"),
    [
        ((0.5, 3, 4, 5, 6), 4),  # most past the SLA
        ((0.2, 0.3, 0.5, 0.7, 3), 1),  # few past it
        ((0.2, 0.3, 3, 4), 2),  # an even stage, the SLA between its middle two
        (
            (1.999, 2.0001, 2.2, 3, 3, 9),
            5,
        ),  # around the SLA's moment (2 days), its day and the next
    ],
)
def test_overdue_and_median_from_the_days(board, owner, stages, monkeypatch, days, overdue):
    """Overdue: the days before the SLA's day from the day tallies, that day's leads
    counted up to the moment; the median age from the day of the middle lead."""
    from datetime import timedelta

    from django.utils import timezone

    Stage.objects.filter(pk=stages.New.pk).update(sla_days=1)
    now = timezone.now()
    for n, ago in enumerate(days):
        lead = lead_create(board_id=board.pk, actor=owner, name=f"L{n}")
        Lead.objects.filter(pk=lead.pk).update(stage_entered_at=now - timedelta(days=ago))
    board_tallies_rebuild(board)  # the shell's edit passed the write paths
    kept_state = board_state_get(board_id=board.pk, user=owner)
    assert kept_state["stages"][0]["overdue"] == overdue
    assert comparable(kept_state) == comparable(state_fresh(board, owner, monkeypatch))
