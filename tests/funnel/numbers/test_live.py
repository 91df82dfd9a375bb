"""The whole board's live numbers from the kept ledger (``funnel.numbers.live``) equal
the specification (``analytics.board_numbers`` on the board's whole log) after every
kind of write, through the services, in any order: creates, moves forwards, backwards
and past stages, bulk and campaign moves, undo, edits of value, campaign and owner,
archive, restore, erase, imports, stage reorders and removals."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings

from funnel.numbers import analytics, live
from funnel.numbers.figures import board_numbers_for
from leads import selectors
from leads.events.schema import STORED_TYPES
from leads.models import Board, BoardEvent, Lead, Stage
from leads.services import (
    campaign_move,
    lead_create,
    lead_feedback_record,
    lead_move,
    lead_update,
    transition_undo,
)
from leads.services.archive import lead_archive, lead_erase, lead_restore
from leads.services.bulk import leads_bulk_move, leads_bulk_update
from leads.services.imports import leads_import
from leads.services.stages import stage_delete, stages_reorder
from tests.funnel.numbers.test_ledger import plain
from tests.histories import LEAD_WRITES, LOST, ON_ONE_BOARD, histories, write


def spec(board: Board, now) -> dict:
    """What the analytics answer on the board's whole log, read afresh."""
    return analytics.board_numbers(
        stages=selectors.stages_frame(board.pk),
        leads=selectors.leads_frame(board.pk),
        transitions=selectors.transitions_frame(board.pk),
        campaigns=selectors.campaigns_frame(board.pk),
        feedback=selectors.feedback_frame(board.pk),
        now=now,
    )


def same(board: Board) -> None:
    board.refresh_from_db()
    now = timezone.now()
    assert plain(live.whole_board_numbers(board, now)) == plain(spec(board, now))


def test_every_event_type_is_known():
    """A new event type must say whether it changes leads (or the ledger is rebuilt
    after it, which is correct but costly: this test asks to decide)."""
    known = live.NO_LEAD_CHANGED | live.LEADS_CHANGED | live.REBUILT_AFTER
    assert set(STORED_TYPES) == known
    assert not live.NO_LEAD_CHANGED & live.LEADS_CHANGED


def test_leads_changed_reads_each_payload_shape():
    events = [
        ("lead.moved", {"lead": {"id": 1}, "moves": [{"lead": 1}]}),
        ("campaign.moved", {"moves": [{"lead": 2}, {"lead": 3}]}),
        ("leads.updated", {"leads": [{"id": 4}]}),
        ("lead.archived", {"lead": 5}),
        ("note.created", {"note": {"id": 9, "lead": 6}}),
    ]
    assert live.leads_changed(events) == {1, 2, 3, 4, 5}
    assert live.leads_changed([*events, ("leads.imported", {})]) is None
    assert live.leads_changed([("something.new", {})]) is None


class TestWrites:
    def test_each_write_path(self, board, owner, stages, campaign):
        same(board)  # empty
        a = lead_create(
            board_id=board.pk, actor=owner, name="A", value=100, campaign_id=campaign.pk
        )
        b = lead_create(board_id=board.pk, actor=owner, name="B", value=Decimal("0.10"))
        same(board)
        lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner)  # skips MQL
        same(board)
        lead_move(lead_id=a.pk, to_stage_id=stages.MQL.pk, actor=owner)  # backwards
        move = lead_move(lead_id=b.pk, to_stage_id=stages.Lost.pk, actor=owner, reason=LOST)
        same(board)
        transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
        same(board)
        lead_update(lead_id=a.pk, actor=owner, value=Decimal("250.55"), owner=owner.pk)
        lead_feedback_record(lead_id=a.pk, actor=owner, verdict="accepted")
        lead_feedback_record(lead_id=b.pk, actor=owner, verdict="rejected", reason="Duplicate")
        lead_update(lead_id=b.pk, actor=owner, campaign=campaign.pk)
        same(board)
        campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages.New.pk,
            to_stage_id=stages.Won.pk,
            actor=owner,
        )
        same(board)
        moved = leads_bulk_move(
            board_id=board.pk,
            actor=owner,
            lead_ids=[a.pk, b.pk],
            to_stage_id=stages.Lost.pk,
            reason=LOST,
        )
        same(board)
        transition_undo(board_id=board.pk, actor=owner, batch=moved.batch)
        leads_bulk_update(board_id=board.pk, actor=owner, lead_ids=[a.pk], campaign=None)
        same(board)
        lead_archive(lead_id=a.pk, actor=owner)
        same(board)
        lead_restore(lead_id=a.pk, actor=owner)
        lead_erase(lead_id=b.pk, actor=owner, confirm="B")
        same(board)
        leads_import(
            board_id=board.pk,
            actor=owner,
            data=b"Name,Email,Stage,Amount\nNew One,n@x.io,MQL,12.5\nOther,o@x.io,Won,3\n",
        )
        same(board)
        order = [s.pk for s in Stage.objects.filter(board=board).order_by("position")]
        order[1], order[2] = order[2], order[1]
        stages_reorder(board_id=board.pk, actor=owner, stages=order)
        same(board)
        removed = stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.New.pk)
        same(board)
        transition_undo(board_id=board.pk, actor=owner, batch=removed.batch)
        same(board)

    def test_a_write_from_elsewhere_is_read_from_the_log(self, board, owner, stages):
        a = lead_create(board_id=board.pk, actor=owner, name="A")
        same(board)  # the ledger is kept
        Lead.objects.filter(pk=a.pk).update(value=77)  # no event: not a write path
        lead_move(lead_id=a.pk, to_stage_id=stages.MQL.pk, actor=owner)  # names the lead
        same(board)

    def test_the_api_answers_the_ledger(self, board, owner, stages):
        lead = lead_create(board_id=board.pk, actor=owner, name="A", value=5)
        lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        board.refresh_from_db()
        numbers = board_numbers_for(board, {}, {})
        assert numbers["seq"] == board.last_seq
        sql = next(s for s in numbers["stages"] if s["id"] == stages.SQL.pk)
        assert sql["reached"] == 1 and sql["current"] == 1
        assert live.kept_ledgers[live.ledger_key(board)].seq == board.last_seq

    def test_the_budget_drops_the_least_recently_used(self, board, owner, settings):
        lead_create(board_id=board.pk, actor=owner, name="A")
        board.refresh_from_db()
        settings.NUMBERS_LEDGERS_BYTES = 1
        live.whole_board_numbers(board, timezone.now())
        assert live.ledger_key(board) not in live.kept_ledgers
        same(board)  # and still answers


@pytest.mark.django_db
@settings(max_examples=25, **ON_ONE_BOARD)
@given(ops=histories([*LEAD_WRITES, "move", "erase", "campaign", "verdict", "reorder"]))
def test_random_histories_answer_the_specification(board, owner, campaign, ops):
    for op, n in ops:
        write(board, owner, campaign, op, n)
        same(board)


@pytest.fixture
def saving(settings):
    """Ledgers saved to a cache of their own, from the first lead, every 3 events."""
    settings.CACHES = {
        **settings.CACHES,
        "ledgers": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    settings.NUMBERS_LEDGER_SAVED_FROM = 0
    settings.NUMBERS_LEDGER_SAVE_EVENTS = 3
    live.saved_cache().clear()
    yield live.saved_cache()
    live.saved_cache().clear()


def restarted() -> None:
    """As a process that starts: no ledger in memory."""
    live.kept_ledgers.clear()


def saved_seq(cache, board: Board) -> int:
    _, seq, _ = pickle.loads(cache.get(live.saved_key(live.ledger_key(board))))
    return seq


class TestSaved:
    def test_a_process_that_starts_loads_the_saved_ledger(
        self, board, owner, stages, saving, monkeypatch
    ):
        a = lead_create(board_id=board.pk, actor=owner, name="A", value=10)
        same(board)  # built, and saved
        board.refresh_from_db()
        assert saved_seq(saving, board) == board.last_seq
        lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner)
        b = lead_create(board_id=board.pk, actor=owner, name="B")
        restarted()
        monkeypatch.setattr(live, "built", never_built)
        same(board)  # loaded, and brought up from the log after it
        lead_move(lead_id=b.pk, to_stage_id=stages.Lost.pk, actor=owner, reason=LOST)
        same(board)

    def test_saved_again_every_n_events(self, board, owner, stages, saving):
        a = lead_create(board_id=board.pk, actor=owner, name="A")
        same(board)
        first = saved_seq(saving, board)
        lead_move(lead_id=a.pk, to_stage_id=stages.MQL.pk, actor=owner)
        same(board)
        assert saved_seq(saving, board) == first  # 1 event: not yet
        for stage in (stages.SQL, stages.Opportunity):
            lead_move(lead_id=a.pk, to_stage_id=stage.pk, actor=owner)
        same(board)
        assert saved_seq(saving, board) == first + 3

    def test_a_small_board_is_not_saved(self, board, owner, saving, settings):
        settings.NUMBERS_LEDGER_SAVED_FROM = 2
        lead_create(board_id=board.pk, actor=owner, name="A")
        same(board)
        assert saving.get(live.saved_key(live.ledger_key(board))) is None

    @pytest.mark.parametrize("spoiled", ["format", "garbage", "seq ahead", "event missing"])
    def test_a_saved_ledger_that_does_not_hold_is_built_again(
        self, board, owner, stages, saving, spoiled
    ):
        a = lead_create(board_id=board.pk, actor=owner, name="A", value=3)
        same(board)
        key = live.saved_key(live.ledger_key(board))
        made_by, seq, ledger = pickle.loads(saving.get(key))
        lead_move(lead_id=a.pk, to_stage_id=stages.Won.pk, actor=owner)
        if spoiled == "format":
            saving.set(key, pickle.dumps(("other code", seq, ledger)))
        elif spoiled == "garbage":
            saving.set(key, b"\x80not a pickle")
        elif spoiled == "seq ahead":  # the database restored from before the save
            saving.set(key, pickle.dumps((made_by, seq + 5, ledger)))
        else:  # the log does not hold every event since the save
            BoardEvent.objects.filter(board=board, seq=seq + 1).delete()
        restarted()
        same(board)

    def test_a_failing_cache_costs_only_the_build(self, board, owner, saving, monkeypatch):
        lead_create(board_id=board.pk, actor=owner, name="A")

        def down(*args, **kwargs):
            raise ConnectionError("cache down")

        monkeypatch.setattr(saving, "get", down)
        monkeypatch.setattr(saving, "set", down)
        monkeypatch.setattr(live, "saved_cache", lambda: saving)
        same(board)
        restarted()
        same(board)


def never_built(*args, **kwargs):
    raise AssertionError("the ledger was built, not loaded")
