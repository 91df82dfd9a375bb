"""Property: replaying a board's transitions from empty gives every lead's current stage,
whatever mix of moves, reorders, campaign moves and undos made them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from leads.errors import Conflict, InvalidInput
from leads.models import Lead, StageTransition
from leads.services import (
    board_create,
    campaign_create,
    campaign_move,
    lead_create,
    lead_move,
    transition_undo,
)
from tests.factories import UserFactory

operation = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 5), st.none() | st.integers(0, 4)),
    st.tuples(st.just("campaign"), st.integers(0, 1), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("undo_last"), st.integers(0, 0), st.integers(0, 0), st.integers(0, 0)),
)


def replay(board) -> dict[int, int]:
    """Each lead's stage after applying its transitions in order, starting from nowhere."""
    stage_of: dict[int, int] = {}
    for lead_id, from_stage, to_stage in (
        StageTransition.objects.filter(board=board)
        .order_by("at", "id")
        .values_list("lead_id", "from_stage_id", "to_stage_id")
    ):
        assert stage_of.get(lead_id) == from_stage, "a transition starts where the lead was"
        stage_of[lead_id] = to_stage
    return stage_of


class ReplayTests(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, max_size=25))
    def test_replay_gives_current_stages(self, operations):
        owner = UserFactory(username="prop-owner")
        board = board_create(name="Prop", created_by=owner)
        stages = list(board.stages.order_by("position"))
        campaigns = [campaign_create(board_id=board.pk, actor=owner, name=n) for n in ("A", "B")]
        leads = [
            lead_create(
                board_id=board.pk, actor=owner, name=f"L{n}", campaign_id=campaigns[n % 2].pk
            )
            for n in range(6)
        ]
        undoable: list[dict] = []
        for kind, a, b, c in operations:
            try:
                if kind == "move":
                    result = lead_move(
                        lead_id=leads[a].pk, to_stage_id=stages[b].pk, actor=owner, position=c
                    )
                    if result.transition:
                        undoable.append({"transition_id": result.transition.pk})
                elif kind == "campaign":
                    moved = campaign_move(
                        campaign_id=campaigns[a].pk,
                        from_stage_id=stages[b].pk,
                        to_stage_id=stages[c].pk,
                        actor=owner,
                    )
                    if moved.batch:
                        undoable.append({"batch": moved.batch})
                elif undoable:
                    transition_undo(board_id=board.pk, actor=owner, **undoable.pop())
            except (InvalidInput, Conflict):
                pass

        current = dict(Lead.objects.filter(board=board).values_list("id", "stage_id"))
        assert replay(board) == current
        board.refresh_from_db()
        assert list(board.events.order_by("seq").values_list("seq", flat=True)) == list(
            range(1, board.last_seq + 1)
        )
