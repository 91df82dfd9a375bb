"""The single write path: state, transitions, events, publication after commit."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from leads.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from leads.events import board_group, event_message, moment
from leads.models import BoardEvent, Lead, Stage, StageTransition, TransitionSource
from leads.services import (
    board_create,
    campaign_create,
    campaign_move,
    lead_create,
    lead_feedback_record,
    lead_move,
    lead_update,
    transition_undo,
)
from tests.factories import BoardFactory, UserFactory


def names_in(stage: Stage) -> list[str]:
    return list(
        Lead.objects.filter(stage=stage).order_by("position", "id").values_list("name", flat=True)
    )


def seqs(board) -> list[int]:
    return list(
        BoardEvent.objects.filter(board=board).order_by("seq").values_list("seq", flat=True)
    )


@pytest.fixture
def published(monkeypatch):
    """What the services hand to the channel layer (whichever is configured), decoded."""
    from channels.layers import get_channel_layer

    sent: list[tuple[str, dict]] = []

    async def group_send(group, message):
        sent.append((group, json.loads(message["text"])))

    monkeypatch.setattr(get_channel_layer(), "group_send", group_send)
    return sent


class TestBoardCreate:
    def test_default_funnel_and_owner(self, owner):
        board = board_create(name="Pipeline", created_by=owner)
        stages = list(board.stages.order_by("position").values_list("name", "kind", "team"))
        assert stages == [
            ("New", "open", "marketing"),
            ("MQL", "open", "marketing"),
            ("SQL", "open", "sales"),
            ("Opportunity", "open", "sales"),
            ("Won", "won", "sales"),
            ("Lost", "lost", "sales"),
        ]
        assert board.memberships.get().role == "owner"

    def test_given_stages(self, owner):
        board = board_create(
            name="Short",
            created_by=owner,
            stages=[{"name": "Lead", "kind": "open"}, {"name": "Customer", "kind": "won"}],
        )
        assert list(board.stages.values_list("name", flat=True)) == ["Lead", "Customer"]

    @pytest.mark.parametrize(
        "stages",
        [
            [{"name": "A"}, {"name": "a"}],
            [{"name": ""}],
            [{"name": "W", "kind": "won"}],
            [{"name": "A"}, {"name": "W1", "kind": "won"}, {"name": "W2", "kind": "won"}],
        ],
    )
    def test_bad_stages_write_nothing(self, owner, stages):
        with pytest.raises(InvalidInput):
            board_create(name="Bad", created_by=owner, stages=stages)
        assert not Stage.objects.exists()

    def test_slugs_stay_unique(self, owner):
        first = board_create(name="Same", created_by=owner)
        second = board_create(name="Same", created_by=owner)
        assert first.slug != second.slug


class TestLeadCreate:
    def test_first_stage_transition_and_event(
        self, board, stages, owner, campaign, published, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            lead = lead_create(
                board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk, value=1200
            )
        assert lead.stage == stages.New and lead.version == 1
        transition = StageTransition.objects.get(lead=lead)
        assert (transition.from_stage, transition.to_stage, transition.source) == (
            None,
            stages.New,
            "create",
        )
        group, message = published[-1]
        assert group == board_group(board.pk)
        assert message["type"] == "lead.created" and message["lead"]["name"] == "Ada"
        assert message["seq"] == board.events.get(type="lead.created").seq
        assert message["actor"]["username"] == owner.username

    def test_newest_on_top(self, board, stages, owner):
        for name in ["a", "b", "c"]:
            lead_create(board_id=board.pk, actor=owner, name=name)
        assert names_in(stages.New) == ["c", "b", "a"]

    def test_stage_of_another_board_is_refused(self, board, owner):
        other = BoardFactory(created_by=owner)
        foreign = other.stages.first()
        with pytest.raises(InvalidInput) as error:
            lead_create(board_id=board.pk, actor=owner, name="x", stage_id=foreign.pk)
        assert error.value.field == "stage"
        assert not Lead.objects.exists() and not BoardEvent.objects.exists()

    def test_campaign_of_another_board_is_refused(self, board, owner):
        other = BoardFactory(created_by=owner)
        foreign = campaign_create(board_id=other.pk, actor=owner, name="Elsewhere")
        with pytest.raises(InvalidInput):
            lead_create(board_id=board.pk, actor=owner, name="x", campaign_id=foreign.pk)
        assert not Lead.objects.exists()

    @pytest.mark.parametrize("fields", [{"score": 500}, {"score": -1}, {"value": -5}])
    def test_numbers_out_of_range(self, board, owner, fields):
        with pytest.raises(InvalidInput):
            lead_create(board_id=board.pk, actor=owner, name="x", **fields)
        assert not Lead.objects.exists()

    def test_viewer_and_outsider(self, board, viewer, outsider):
        with pytest.raises(PermissionDenied):
            lead_create(board_id=board.pk, actor=viewer, name="x")
        with pytest.raises(NotFound):
            lead_create(board_id=board.pk, actor=outsider, name="x")
        assert not Lead.objects.exists()


class TestLeadMove:
    @pytest.fixture
    def leads(self, board, owner):
        # New [c b a]
        return {n: lead_create(board_id=board.pk, actor=owner, name=n) for n in ["a", "b", "c"]}

    def test_move_writes_transition_event_and_bumps_version(
        self, board, stages, owner, leads, published, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            result = lead_move(
                lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=owner, version=1
            )
        assert result.lead.stage_id == stages.MQL.pk and result.lead.version == 2
        assert (result.transition.from_stage_id, result.transition.to_stage_id) == (
            stages.New.pk,
            stages.MQL.pk,
        )
        assert result.transition.source == TransitionSource.DRAG
        _, message = published[-1]
        assert message["type"] == "lead.moved" and message["seq"] == result.seq
        assert message["moves"] == [
            {
                "lead": leads["a"].pk,
                "from_stage": stages.New.pk,
                "to_stage": stages.MQL.pk,
                "position": result.lead.position,
                "version": 2,
                "stage_entered_at": moment(result.lead.stage_entered_at),
            }
        ]
        # The event's moment is the move's: the card says it entered MQL then.
        assert message["at"] == message["lead"]["stage_entered_at"]
        assert message == result.event  # what the mover's REST answer carries
        assert seqs(board) == list(range(1, result.seq + 1))

    def test_stale_version_is_409_with_current_lead(self, stages, owner, leads):
        lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=owner, version=1)
        with pytest.raises(Conflict) as error:
            lead_move(lead_id=leads["a"].pk, to_stage_id=stages.SQL.pk, actor=owner, version=1)
        assert error.value.status_code == 409
        assert error.value.extra["lead"]["stage"] == stages.MQL.pk
        assert error.value.extra["lead"]["version"] == 2
        assert StageTransition.objects.filter(lead=leads["a"]).count() == 2

    def test_positions_when_moves_interleave(self, board, stages, owner, leads):
        # New [c b a]; MQL []
        lead_move(lead_id=leads["b"].pk, to_stage_id=stages.MQL.pk, actor=owner)
        # New [c a]; MQL [b]   move c to MQL at 1 -> MQL [b c]
        lead_move(lead_id=leads["c"].pk, to_stage_id=stages.MQL.pk, actor=owner, position=1)
        # move a to MQL at 1 -> MQL [b a c]
        lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=owner, position=1)
        assert names_in(stages.MQL) == ["b", "a", "c"]
        # past the end appends: move b to MQL at 99 -> MQL [a c b]
        lead_move(lead_id=leads["b"].pk, to_stage_id=stages.MQL.pk, actor=owner, position=99)
        assert names_in(stages.MQL) == ["a", "c", "b"]
        assert names_in(stages.New) == []

    def test_reorder_inside_a_stage_writes_no_transition(self, board, stages, owner, leads):
        # New [c b a]   move c to 2 -> New [b a c]
        result = lead_move(
            lead_id=leads["c"].pk, to_stage_id=stages.New.pk, actor=owner, position=2
        )
        assert result.transition is None
        assert names_in(stages.New) == ["b", "a", "c"]
        assert StageTransition.objects.filter(lead=leads["c"]).count() == 1

    def test_many_drops_at_one_spot_keep_their_order(self, board, stages, owner):
        first = lead_create(board_id=board.pk, actor=owner, name="first", stage_id=stages.MQL.pk)
        lead_create(board_id=board.pk, actor=owner, name="last", stage_id=stages.MQL.pk)
        # MQL [last first]; keep dropping new cards between the two
        dropped = []
        for n in range(60):
            lead = lead_create(board_id=board.pk, actor=owner, name=f"d{n}")
            lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner, position=1)
            dropped.append(f"d{n}")
        order = names_in(stages.MQL)
        assert order[0] == "last" and order[-1] == "first"
        assert order[1:-1] == list(reversed(dropped))
        assert first.pk in Lead.objects.filter(stage=stages.MQL).values_list("id", flat=True)

    def test_same_stage_without_position_is_refused(self, stages, owner, leads):
        with pytest.raises(InvalidInput):
            lead_move(lead_id=leads["a"].pk, to_stage_id=stages.New.pk, actor=owner)

    def test_stage_of_another_board(self, owner, leads):
        other = BoardFactory(created_by=owner)
        with pytest.raises(InvalidInput) as error:
            lead_move(lead_id=leads["a"].pk, to_stage_id=other.stages.first().pk, actor=owner)
        assert error.value.field == "to_stage"
        assert Lead.objects.get(pk=leads["a"].pk).version == 1

    def test_unknown_lead(self, stages, owner):
        with pytest.raises(NotFound):
            lead_move(lead_id=987654, to_stage_id=stages.MQL.pk, actor=owner)

    def test_viewer_cannot_move(self, stages, viewer, leads):
        with pytest.raises(PermissionDenied):
            lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=viewer)

    def test_rollback_publishes_nothing(
        self, board, stages, owner, leads, django_capture_on_commit_callbacks
    ):
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=owner)
            raise RuntimeError("the surrounding work failed")
        assert callbacks == []
        assert Lead.objects.get(pk=leads["a"].pk).stage_id == stages.New.pk
        assert not BoardEvent.objects.filter(type="lead.moved").exists()

    def test_publication_waits_for_commit(
        self, stages, owner, leads, published, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=owner)
        assert published == []
        for callback in callbacks:
            callback()
        assert [m["type"] for _, m in published] == ["lead.moved"]


class TestLeadUpdate:
    def test_update_bumps_version_and_emits(self, board, owner, campaign):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        updated = lead_update(
            lead_id=lead.pk, actor=owner, version=1, score=80, campaign=campaign.pk
        )
        assert (updated.score, updated.campaign_id, updated.version) == (80, campaign.pk, 2)
        event = board.events.get(type="lead.updated")
        assert event.payload["fields"] == ["campaign", "score"]

    def test_stale_update(self, board, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        lead_update(lead_id=lead.pk, actor=owner, version=1, score=10)
        with pytest.raises(Conflict):
            lead_update(lead_id=lead.pk, actor=owner, version=1, score=20)
        assert Lead.objects.get(pk=lead.pk).score == 10

    def test_stage_is_not_updatable(self, board, stages, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        with pytest.raises(InvalidInput):
            lead_update(lead_id=lead.pk, actor=owner, stage=stages.Won)

    def test_score_out_of_range(self, board, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        with pytest.raises(InvalidInput):
            lead_update(lead_id=lead.pk, actor=owner, score=500)
        assert Lead.objects.get(pk=lead.pk).score == 0


class TestCampaignMove:
    @pytest.fixture
    def setup(self, board, stages, owner, campaign):
        other = campaign_create(board_id=board.pk, actor=owner, name="Ads", channel="paid")
        ours = [
            lead_create(board_id=board.pk, actor=owner, name=f"w{n}", campaign_id=campaign.pk)
            for n in range(3)
        ]
        theirs = lead_create(board_id=board.pk, actor=owner, name="ad", campaign_id=other.pk)
        already = lead_create(board_id=board.pk, actor=owner, name="m0", stage_id=stages.MQL.pk)
        return ours, theirs, already

    def test_one_batch_one_event(
        self, board, stages, owner, campaign, setup, published, django_capture_on_commit_callbacks
    ):
        _ours, _theirs, _already = setup
        before = board.events.count()
        with django_capture_on_commit_callbacks(execute=True):
            result = campaign_move(
                campaign_id=campaign.pk,
                from_stage_id=stages.New.pk,
                to_stage_id=stages.MQL.pk,
                actor=owner,
            )
        assert result.moved == 3
        assert board.events.count() == before + 1
        transitions = StageTransition.objects.filter(batch=result.batch)
        assert transitions.count() == 3 and set(transitions.values_list("source", flat=True)) == {
            "campaign"
        }
        # MQL [m0] -> MQL [w2 w1 w0 m0]: the campaign's cards keep their order, on top
        assert names_in(stages.MQL) == ["w2", "w1", "w0", "m0"]
        assert names_in(stages.New) == ["ad"]
        _, message = published[-1]
        assert message["type"] == "campaign.moved" and len(message["moves"]) == 3
        assert all(m["version"] == 2 for m in message["moves"])

    def test_nothing_to_move(self, board, stages, owner, campaign, setup):
        before = board.events.count()
        result = campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages.SQL.pk,
            to_stage_id=stages.Won.pk,
            actor=owner,
        )
        assert (result.moved, result.batch) == (0, None)
        assert board.events.count() == before

    def test_same_stage_and_foreign_stage(self, stages, owner, campaign, setup):
        with pytest.raises(InvalidInput):
            campaign_move(
                campaign_id=campaign.pk,
                from_stage_id=stages.New.pk,
                to_stage_id=stages.New.pk,
                actor=owner,
            )
        other = BoardFactory(created_by=owner)
        with pytest.raises(InvalidInput):
            campaign_move(
                campaign_id=campaign.pk,
                from_stage_id=stages.New.pk,
                to_stage_id=other.stages.first().pk,
                actor=owner,
            )
        assert not StageTransition.objects.filter(source="campaign").exists()


class TestUndo:
    def test_undo_single_move(self, board, stages, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        entered = Lead.objects.get(pk=lead.pk).stage_entered_at
        move = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        result = transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
        lead.refresh_from_db()
        assert lead.stage_id == stages.New.pk and lead.version == 3
        # the mistake never happened: days in stage count from the real entry into New
        assert lead.stage_entered_at == entered
        reverse = StageTransition.objects.get(pk=result.transitions[0])
        assert (reverse.source, reverse.reverts_id) == ("undo", move.transition.pk)
        event = board.events.order_by("-seq").first()
        assert event.type == "lead.moved" and event.payload["undoes"] == {
            "transition": move.transition.pk
        }

    def test_undo_batch(self, board, stages, owner, campaign):
        for n in range(3):
            lead_create(board_id=board.pk, actor=owner, name=f"w{n}", campaign_id=campaign.pk)
        moved = campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages.New.pk,
            to_stage_id=stages.SQL.pk,
            actor=owner,
        )
        result = transition_undo(board_id=board.pk, actor=owner, batch=moved.batch)
        assert result.undone == 3 and result.skipped == []
        assert names_in(stages.New) == ["w2", "w1", "w0"]
        assert board.events.order_by("-seq").first().type == "leads.moved"

    def test_lead_that_moved_on_is_skipped(self, board, stages, owner, campaign):
        a = lead_create(board_id=board.pk, actor=owner, name="a", campaign_id=campaign.pk)
        b = lead_create(board_id=board.pk, actor=owner, name="b", campaign_id=campaign.pk)
        moved = campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages.New.pk,
            to_stage_id=stages.MQL.pk,
            actor=owner,
        )
        lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner)
        result = transition_undo(board_id=board.pk, actor=owner, batch=moved.batch)
        assert result.undone == 1 and result.skipped == [a.pk]
        assert Lead.objects.get(pk=a.pk).stage_id == stages.SQL.pk
        assert Lead.objects.get(pk=b.pk).stage_id == stages.New.pk

    def test_refusals(self, board, stages, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        creation = StageTransition.objects.get(lead=lead)
        with pytest.raises(InvalidInput):
            transition_undo(board_id=board.pk, actor=owner, transition_id=creation.pk)
        move = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        undo = transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
        with pytest.raises(Conflict):
            transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
        with pytest.raises(InvalidInput):
            transition_undo(board_id=board.pk, actor=owner, transition_id=undo.transitions[0])
        with pytest.raises(InvalidInput):
            transition_undo(board_id=board.pk, actor=owner)
        with pytest.raises(NotFound):
            transition_undo(board_id=board.pk, actor=owner, transition_id=10**9)

    def test_moved_on_since_is_409(self, board, stages, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        move = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        with pytest.raises(Conflict):
            transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)


class TestFeedback:
    def test_rejection_needs_reason(self, board, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        with pytest.raises(InvalidInput):
            lead_feedback_record(lead_id=lead.pk, actor=owner, verdict="rejected")
        with pytest.raises(InvalidInput):
            lead_feedback_record(lead_id=lead.pk, actor=owner, verdict="maybe")
        result = lead_feedback_record(
            lead_id=lead.pk,
            actor=owner,
            verdict="rejected",
            reason="No budget",
            valuable_fields=["email"],
            useless_fields=["title"],
        )
        assert result.feedback.reason == "No budget"
        event = board.events.get(type="lead.feedback")
        assert event.payload["verdict"] == "rejected" and event.payload["lead"] == lead.pk
        # The event's moment is the verdict's: a card shows verdict_at from it.
        assert event.at == result.feedback.at
        assert result.event == event_message(event)


def test_seq_is_gapless_across_services(board, stages, owner, campaign):
    user = UserFactory()
    lead = lead_create(
        board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk, owner=user
    )
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    lead_update(lead_id=lead.pk, actor=owner, score=5)
    campaign_move(
        campaign_id=campaign.pk, from_stage_id=stages.MQL.pk, to_stage_id=stages.SQL.pk, actor=owner
    )
    assert seqs(board) == list(range(1, board.events.count() + 1))
    board.refresh_from_db()
    assert board.last_seq == board.events.count()


class TestDropNextTo:
    """A filtered board sees only some cards; it names the drawn neighbour instead."""

    @pytest.fixture
    def mql(self, board, stages, owner):
        # MQL [a b c d] (newest on top: created d, c, b, a)
        made = {}
        for name in ["d", "c", "b", "a"]:
            made[name] = lead_create(
                board_id=board.pk, actor=owner, name=name, stage_id=stages.MQL.pk
            )
        return made

    def test_after_and_before_a_neighbour(self, board, stages, owner, mql):
        x = lead_create(board_id=board.pk, actor=owner, name="x")
        # a board filtered to [a c] drops x after c -> MQL [a b c x d]
        lead_move(
            lead_id=x.pk, to_stage_id=stages.MQL.pk, actor=owner, position=2, after=mql["c"].pk
        )
        assert names_in(stages.MQL) == ["a", "b", "c", "x", "d"]
        # ... and y before c -> MQL [a b y c x d]
        y = lead_create(board_id=board.pk, actor=owner, name="y")
        lead_move(
            lead_id=y.pk, to_stage_id=stages.MQL.pk, actor=owner, position=1, before=mql["c"].pk
        )
        assert names_in(stages.MQL) == ["a", "b", "y", "c", "x", "d"]
        # after the last card appends; reorder inside the stage works too
        lead_move(lead_id=mql["a"].pk, to_stage_id=stages.MQL.pk, actor=owner, after=mql["d"].pk)
        assert names_in(stages.MQL) == ["b", "y", "c", "x", "d", "a"]

    def test_a_neighbour_that_left_falls_back_to_position(self, board, stages, owner, mql):
        x = lead_create(board_id=board.pk, actor=owner, name="x")
        lead_move(lead_id=mql["b"].pk, to_stage_id=stages.SQL.pk, actor=owner)
        # MQL [a c d]; x was dropped "after b" at index 1, but b has gone
        lead_move(
            lead_id=x.pk, to_stage_id=stages.MQL.pk, actor=owner, position=1, after=mql["b"].pk
        )
        assert names_in(stages.MQL) == ["a", "x", "c", "d"]
