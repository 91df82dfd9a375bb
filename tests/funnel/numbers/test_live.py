"""The whole board's live numbers from the kept ledger (``funnel.numbers.live``) equal
the specification (``analytics.board_numbers`` on the board's whole log) after every
kind of write, through the services, in any order: creates, moves forwards, backwards
and past stages, bulk and campaign moves, undo, edits of value, campaign and owner,
archive, restore, erase, imports, stage reorders and removals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.numbers import analytics, live
from funnel.numbers.figures import board_numbers_for
from leads import selectors
from leads.errors import Conflict, InvalidInput, NotFound
from leads.events.schema import STORED_TYPES
from leads.models import DEFAULT_LOST_REASONS, Board, Lead, Stage
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

LOST = DEFAULT_LOST_REASONS[0]


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


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "move",
                "move",
                "bulk_move",
                "campaign_move",
                "undo",
                "archive",
                "restore",
                "erase",
                "edit",
                "import",
                "reorder",
                "stage_delete",
                "verdict",
            ]
        ),
        st.integers(0, 1000),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_random_histories_answer_the_specification(board, owner, campaign, ops):
    for op, n in ops:
        stages = list(Stage.objects.filter(board=board).order_by("position"))
        opens = [s for s in stages if s.kind == "open"]
        leads = list(Lead.objects.filter(board=board, archived_at__isnull=True).order_by("id"))
        archived = list(Lead.objects.filter(board=board, archived_at__isnull=False))
        stage = stages[n % len(stages)]
        reason = LOST if stage.kind == "lost" else ""
        try:
            if op == "create" or (not leads and op in ("move", "bulk_move", "archive", "edit")):
                lead_create(
                    board_id=board.pk,
                    actor=owner,
                    name=f"L{n}",
                    stage_id=opens[n % len(opens)].pk,
                    value=Decimal(n) / 4,
                    campaign_id=campaign.pk if n % 2 else None,
                )
            elif op == "move":
                lead = leads[n % len(leads)]
                if lead.stage_id != stage.pk:
                    lead_move(lead_id=lead.pk, to_stage_id=stage.pk, actor=owner, reason=reason)
            elif op == "bulk_move":
                ids = [lead.pk for lead in leads[:: 1 + n % 3]]
                leads_bulk_move(
                    board_id=board.pk,
                    actor=owner,
                    lead_ids=ids,
                    to_stage_id=stage.pk,
                    reason=reason,
                )
            elif op == "campaign_move":
                campaign_move(
                    campaign_id=campaign.pk,
                    from_stage_id=stages[(n + 1) % len(stages)].pk,
                    to_stage_id=stage.pk,
                    actor=owner,
                    reason=reason,
                )
            elif op == "undo":
                transition_undo(board_id=board.pk, actor=owner)
            elif op == "archive":
                lead_archive(lead_id=leads[n % len(leads)].pk, actor=owner)
            elif op == "restore" and archived:
                lead_restore(lead_id=archived[n % len(archived)].pk, actor=owner)
            elif op == "erase" and leads:
                lead = leads[n % len(leads)]
                lead_erase(lead_id=lead.pk, actor=owner, confirm=lead.name)
            elif op == "edit" and leads:
                lead_update(
                    lead_id=leads[n % len(leads)].pk,
                    actor=owner,
                    value=Decimal(n) / 100,
                    campaign=campaign.pk if n % 3 else None,
                )
            elif op == "import":
                data = f"Name,Email,Stage,Amount\nI{n},i{n % 5}@x.io,{stage.name},{n}\n".encode()
                leads_import(board_id=board.pk, actor=owner, data=data)
            elif op == "reorder" and len(opens) > 2:
                order = [s.pk for s in stages]
                i = n % (len(opens) - 1)
                order[i], order[i + 1] = order[i + 1], order[i]
                stages_reorder(board_id=board.pk, actor=owner, stages=order)
            elif op == "verdict" and leads:
                then = ["stay", "recycle", "lost"][n % 3]
                lead_feedback_record(
                    lead_id=leads[n % len(leads)].pk,
                    actor=owner,
                    verdict="accepted" if n % 2 else "rejected",
                    reason="" if n % 2 else "Duplicate",
                    then="stay" if n % 2 else then,
                )
            elif op == "stage_delete" and len(opens) > 2:
                gone, target = opens[1 + n % (len(opens) - 1)], opens[0]
                stage_delete(stage_id=gone.pk, actor=owner, move_to=target.pk)
        except (InvalidInput, Conflict, NotFound):
            pass  # a refused write writes nothing
        same(board)
