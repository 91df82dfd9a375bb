"""``Lead.last_verdict_at``: kept by the one write path that records verdicts, it
answers "awaiting a verdict" exactly as the verdicts themselves do (the former
NOT EXISTS over ``LeadFeedback``), whatever the history."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.errors import InvalidInput
from leads.models import Lead, LeadFeedback, Stage
from leads.selectors.cards import awaiting_verdict
from leads.selectors.state import board_state_get, handoff_list
from leads.services import lead_create, lead_feedback_record, lead_move
from leads.services.feedback import leads_last_verdict_rebuild


def awaiting_by_verdicts(leads):
    """The specification: no verdict given at or after the lead entered its stage."""
    judged = LeadFeedback.objects.filter(
        lead_id=OuterRef("pk"), at__gte=OuterRef("stage_entered_at")
    )
    return leads.filter(~Exists(judged))


def ids(leads) -> list[int]:
    return sorted(leads.values_list("id", flat=True))


def test_a_verdict_sets_the_latest_time(board, owner, stages):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", stage_id=stages.SQL.pk)
    assert Lead.objects.get(pk=lead.pk).last_verdict_at is None
    first = lead_feedback_record(lead_id=lead.pk, actor=owner, verdict="accepted").feedback
    assert Lead.objects.get(pk=lead.pk).last_verdict_at == first.at
    second = lead_feedback_record(
        lead_id=lead.pk, actor=owner, verdict="rejected", reason="Duplicate", then="recycle"
    ).feedback
    moved = Lead.objects.get(pk=lead.pk)
    assert moved.last_verdict_at == second.at and moved.stage_id == stages.MQL.pk
    # Recycled, then handed over again: it waits again.
    lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    assert ids(Lead.objects.filter(awaiting_verdict())) == [lead.pk]


def test_rebuild_mends_a_bare_write(board, owner, stages):
    a = lead_create(board_id=board.pk, actor=owner, name="A", stage_id=stages.SQL.pk)
    b = lead_create(board_id=board.pk, actor=owner, name="B", stage_id=stages.SQL.pk)
    at = a.stage_entered_at + dt.timedelta(minutes=5)
    LeadFeedback.objects.create(lead=a, actor=owner, verdict="accepted", at=at)  # no service
    Lead.objects.filter(pk=b.pk).update(last_verdict_at=at)  # stale: b has no verdict
    assert leads_last_verdict_rebuild(Lead.objects.filter(board=board)) == 1
    assert dict(Lead.objects.filter(board=board).values_list("id", "last_verdict_at")) == {
        a.pk: at,
        b.pk: None,
    }


OPS = st.lists(
    st.tuples(
        st.sampled_from(["create", "move", "hand_over", "accept", "reject", "recycle", "entry"]),
        st.integers(0, 1000),
        st.integers(-3, 3),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_random_histories_await_as_the_verdicts_say(board, owner, stages, ops):
    handoff = stages.SQL
    live = list(Stage.objects.filter(board=board).exclude(kind="lost").order_by("position"))
    for op, n, shift in ops:
        leads = list(Lead.objects.filter(board=board).order_by("id"))
        if op == "create" or not leads:
            stage = handoff if n % 2 else live[n % len(live)]
            lead_create(board_id=board.pk, actor=owner, name=f"L{n}", stage_id=stage.pk)
            continue
        lead = leads[n % len(leads)]
        try:
            if op == "move":
                lead_move(lead_id=lead.pk, to_stage_id=live[n % len(live)].pk, actor=owner)
            elif op == "hand_over":
                lead_move(lead_id=lead.pk, to_stage_id=handoff.pk, actor=owner)
            elif op == "accept":
                lead_feedback_record(lead_id=lead.pk, actor=owner, verdict="accepted")
            elif op in ("reject", "recycle"):
                then = "recycle" if op == "recycle" else "stay"
                lead_feedback_record(
                    lead_id=lead.pk, actor=owner, verdict="rejected", reason="Duplicate", then=then
                )
            else:
                # Its entry moved around its latest verdict: before, at (a tie), after.
                latest = LeadFeedback.objects.filter(lead=lead).order_by("-at").first()
                anchor = latest.at if latest else lead.stage_entered_at
                Lead.objects.filter(pk=lead.pk).update(
                    stage_entered_at=anchor + dt.timedelta(seconds=shift)
                )
        except InvalidInput:
            pass  # already there: nothing written, nothing kept
    in_board = Lead.objects.filter(board=board)
    assert ids(in_board.filter(awaiting_verdict())) == ids(awaiting_by_verdicts(in_board))
    waiting = awaiting_by_verdicts(in_board.filter(stage=handoff)).order_by(
        "stage_entered_at", "id"
    )
    lane = board_state_get(board_id=board.pk, user=owner)["handoff"]
    assert [c["id"] for c in lane["leads"]] == list(waiting.values_list("id", flat=True))
    assert lane["count"] == waiting.count()
    listed = handoff_list(board_id=board.pk, user=owner)
    assert (listed["count"], [c["id"] for c in listed["leads"]]) == (
        waiting.count(),
        list(waiting.values_list("id", flat=True)[:50]),
    )
    kept = dict(in_board.values_list("id", "last_verdict_at"))
    leads_last_verdict_rebuild(in_board)
    assert dict(in_board.values_list("id", "last_verdict_at")) == kept
