"""A board's stages, set up by its owner: add, change, reorder and remove, through
the services and the REST API; who may; the events every browser receives; the
undo of a removal; what a removed stage leaves behind (history, numbers, state,
exports); the import's new stages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from leads.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from leads.events.schema import stored_event_adapter
from leads.models import BoardEvent, Lead, Stage, StageTransition
from leads.selectors import board_state_as_of, board_state_get
from leads.services import lead_create, lead_move, transition_undo
from leads.services.imports import leads_import
from leads.services.stages import (
    STAGES_MAX,
    check_stages,
    stage_create,
    stage_delete,
    stage_update,
    stages_reorder,
)
from leads.services.tallies import board_tallies_rebuild
from tests.conftest import client_for
from tests.factories import BoardFactory


def names(board) -> list[str]:
    """The board's live stages in funnel order."""
    return list(board.stages.order_by("position").values_list("name", flat=True))


def positions(board) -> list[int]:
    return list(board.stages.order_by("position").values_list("position", flat=True))


def written(board) -> tuple:
    """What a refused change must not touch."""
    return (
        list(Stage.all_objects.filter(board=board).order_by("id").values_list()),
        list(Lead.objects.filter(board=board).order_by("id").values_list("id", "stage_id")),
        BoardEvent.objects.filter(board=board).count(),
        StageTransition.objects.filter(board=board).count(),
    )


def events(board, kind: str | None = None) -> list[dict]:
    rows = BoardEvent.objects.filter(board=board).order_by("seq")
    if kind:
        rows = rows.filter(type=kind)
    return [{"type": row.type, "seq": row.seq, **row.payload} for row in rows]


def leads_in(stage) -> list[str]:
    return list(
        Lead.objects.filter(stage=stage).order_by("position", "id").values_list("name", flat=True)
    )


def make_leads(board, actor, stage, *names_):
    return [lead_create(board_id=board.pk, actor=actor, name=n, stage_id=stage.pk) for n in names_]


def fits_schema(message: dict) -> None:
    assert stored_event_adapter.validate_python(message).wire() == message


def error(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert "detail" in body and field in body, body
    return body


# --- The rules ---


class TestRules:
    def test_a_new_board_needs_an_open_and_the_won_stage_in_funnel_order(self):
        check_stages([{"name": "Lead"}, {"name": "Customer", "kind": "won"}])
        for bad in (
            [{"name": "Lead"}],  # no won
            [{"name": "W", "kind": "won"}],  # no open
            [{"name": "W", "kind": "won"}, {"name": "A"}],  # open after won
            [{"name": "A"}, {"name": "a"}, {"name": "W", "kind": "won"}],  # names
            [{"name": "A", "sla_days": 0}, {"name": "W", "kind": "won"}],
            [{"name": "A", "color": "red"}, {"name": "W", "kind": "won"}],
            [{"name": f"S{i}"} for i in range(STAGES_MAX)] + [{"name": "W", "kind": "won"}],
        ):
            with pytest.raises(InvalidInput):
                check_stages(bad)


# --- Add ---


class TestCreate:
    def test_an_open_stage_goes_before_won_and_lost(self, board, stages, owner):
        # New MQL SQL Opportunity Won Lost   add Demo -> ... Opportunity Demo Won Lost
        result = stage_create(board_id=board.pk, actor=owner, name=" Demo ", sla_days=5)
        assert names(board) == ["New", "MQL", "SQL", "Opportunity", "Demo", "Won", "Lost"]
        assert positions(board) == list(range(7))
        demo = result.stage
        assert demo.name == "Demo" and demo.position == 4 and demo.sla_days == 5
        assert demo.color == "#7c3aed"  # marketing's, as the default stages
        (event,) = events(board, "stage.created")
        assert event["stage"]["id"] == demo.pk and event["stage"]["position"] == 4
        assert event["order"] == list(
            board.stages.order_by("position").values_list("id", flat=True)
        )
        assert event["handoff"] == stages.SQL.pk
        assert result.event["seq"] == result.seq == board.events.count()
        fits_schema(result.event)

    def test_a_board_stored_out_of_funnel_order_comes_right(self, board, stages, owner):
        # An import used to add its stages after Won and Lost.
        Stage.objects.create(board=board, name="Legacy", position=6)
        result = stage_create(board_id=board.pk, actor=owner, name="Demo")
        assert names(board) == [
            "New", "MQL", "SQL", "Opportunity", "Legacy", "Demo", "Won", "Lost",
        ]  # fmt: skip
        assert positions(board) == list(range(8))
        assert result.event["order"] == list(
            board.stages.order_by("position").values_list("id", flat=True)
        )

    def test_before_or_after_a_stage(self, board, stages, owner):
        stage_create(board_id=board.pk, actor=owner, name="Nurture", after=stages.New.pk)
        stage_create(board_id=board.pk, actor=owner, name="Raw", before=stages.New.pk)
        assert names(board)[:4] == ["Raw", "New", "Nurture", "MQL"]

    def test_a_sales_stage_before_sql_takes_the_handoff(self, board, stages, owner):
        result = stage_create(
            board_id=board.pk, actor=owner, name="Discovery", team="sales", before=stages.SQL.pk
        )
        assert result.event["handoff"] == result.stage.pk

    def test_a_lost_stage_goes_last(self, board, stages, owner):
        stage_delete(stage_id=stages.Lost.pk, actor=owner)
        stage_create(board_id=board.pk, actor=owner, name="Dropped", kind="lost")
        assert names(board)[-2:] == ["Won", "Dropped"]

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "mql"}, "name"),  # case-insensitive duplicate
            ({"name": "  "}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"name": "Win", "kind": "won"}, "kind"),
            ({"name": "Gone", "kind": "lost"}, "kind"),
            ({"name": "X", "kind": "maybe"}, "kind"),
            ({"name": "X", "team": "management"}, "team"),
            ({"name": "X", "sla_days": 0}, "sla_days"),
            ({"name": "X", "sla_days": -2}, "sla_days"),
            ({"name": "X", "wip_limit": 0}, "wip_limit"),
            ({"name": "X", "wip_limit": -1}, "wip_limit"),
            ({"name": "X", "wip_limit": "3"}, "wip_limit"),
            ({"name": "X", "color": "red"}, "color"),
            ({"name": "X", "color": "#12345"}, "color"),
            ({"name": "X", "after": "Won"}, "after"),
            ({"name": "X", "before": 10**9}, "before"),
        ],
    )
    def test_refusals_name_the_field_and_write_nothing(self, board, stages, owner, fields, field):
        fields = dict(fields)
        if fields.get("after") == "Won":
            fields["after"] = stages.Won.pk  # an open stage after Won
        before = written(board)
        with pytest.raises(InvalidInput) as refused:
            stage_create(board_id=board.pk, actor=owner, **fields)
        assert refused.value.field == field
        assert written(board) == before

    def test_before_and_after_together(self, board, stages, owner):
        with pytest.raises(InvalidInput) as refused:
            stage_create(
                board_id=board.pk, actor=owner, name="X", before=stages.New.pk, after=stages.MQL.pk
            )
        assert refused.value.field == "before"

    def test_at_most_stages_max(self, owner):
        board = BoardFactory(created_by=owner)
        for i in range(STAGES_MAX - 6):
            stage_create(board_id=board.pk, actor=owner, name=f"Step {i}")
        with pytest.raises(InvalidInput):
            stage_create(board_id=board.pk, actor=owner, name="One too many")


# --- Change ---


class TestUpdate:
    def test_fields_change_and_the_event_says_which(self, board, stages, owner):
        result = stage_update(
            stage_id=stages.MQL.pk,
            actor=owner,
            sla_days=3,
            wip_limit=20,
            color="#ABCDEF",
            team="marketing",  # unchanged: not in fields
        )
        stage = Stage.objects.get(pk=stages.MQL.pk)
        assert (stage.sla_days, stage.wip_limit, stage.color) == (3, 20, "#abcdef")
        assert result.event["fields"] == ["color", "sla_days", "wip_limit"]
        assert result.event["stage"]["wip_limit"] == 20
        assert result.event["order"] == result.order
        fits_schema(result.event)
        # Back to none.
        stage_update(stage_id=stages.MQL.pk, actor=owner, sla_days=None, wip_limit=None)
        stage.refresh_from_db()
        assert (stage.sla_days, stage.wip_limit) == (None, None)

    def test_rename_keeps_the_stage_and_its_past(self, board, stages, owner):
        (ada,) = make_leads(board, owner, stages.New, "Ada")
        lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner)
        history = list(StageTransition.objects.filter(lead=ada).values_list("id", "to_stage_id"))
        stage_update(stage_id=stages.MQL.pk, actor=owner, name="Marketing qualified")
        assert list(StageTransition.objects.filter(lead=ada).values_list("id", "to_stage_id")) == (
            history
        )
        assert Lead.objects.get(pk=ada.pk).stage_id == stages.MQL.pk
        # Its old name is free again; a case change of its own name is no duplicate.
        stage_create(board_id=board.pk, actor=owner, name="MQL")
        stage_update(stage_id=stages.New.pk, actor=owner, name="NEW")

    def test_nothing_changed_stores_nothing(self, board, stages, owner):
        before = written(board)
        result = stage_update(stage_id=stages.MQL.pk, actor=owner, name="MQL", sla_days=14)
        assert result.event is None
        assert written(board) == before

    def test_a_kind_change_moves_the_stage_where_its_kind_goes(self, board, stages, owner):
        stage_delete(stage_id=stages.Lost.pk, actor=owner)
        # New MQL SQL Opportunity Won   MQL becomes lost -> New SQL Opportunity Won MQL
        result = stage_update(stage_id=stages.MQL.pk, actor=owner, kind="lost")
        assert names(board) == ["New", "SQL", "Opportunity", "Won", "MQL"]
        assert result.event["order"] == [
            stages.New.pk,
            stages.SQL.pk,
            stages.Opportunity.pk,
            stages.Won.pk,
            stages.MQL.pk,
        ]
        assert result.event["stage"]["position"] == 4
        # ... and back: an open stage goes right before Won.
        stage_update(stage_id=stages.MQL.pk, actor=owner, kind="open")
        assert names(board) == ["New", "SQL", "Opportunity", "MQL", "Won"]

    def test_team_change_moves_the_handoff(self, board, stages, owner):
        result = stage_update(stage_id=stages.SQL.pk, actor=owner, team="marketing")
        assert result.event["handoff"] == stages.Opportunity.pk

    @pytest.mark.parametrize(
        ("stage", "fields", "field"),
        [
            ("MQL", {"name": "sql"}, "name"),
            ("MQL", {"name": ""}, "name"),
            ("MQL", {"sla_days": 0}, "sla_days"),
            ("MQL", {"wip_limit": -3}, "wip_limit"),
            ("MQL", {"color": "#zzzzzz"}, "color"),
            ("MQL", {"kind": "won"}, "kind"),  # a second won
            ("MQL", {"kind": "lost"}, "kind"),  # a second lost
            ("Won", {"kind": "open"}, "kind"),  # the won stage must remain
            ("MQL", {"position": 3}, "position"),  # moved by reordering only
        ],
    )
    def test_refusals(self, board, stages, owner, stage, fields, field):
        before = written(board)
        with pytest.raises(InvalidInput) as refused:
            stage_update(stage_id=getattr(stages, stage).pk, actor=owner, **fields)
        assert refused.value.field == field
        assert written(board) == before

    def test_the_last_open_stage_keeps_its_kind(self, owner):
        from leads.services import board_create

        board = board_create(
            name="Short",
            created_by=owner,
            stages=[{"name": "Lead"}, {"name": "Won", "kind": "won"}],
        )
        lead = board.stages.get(name="Lead")
        with pytest.raises(InvalidInput) as refused:
            stage_update(stage_id=lead.pk, actor=owner, kind="lost")
        assert refused.value.field == "kind"


# --- Reorder ---


class TestReorder:
    def test_a_new_order(self, board, stages, owner):
        order = [stages.MQL.pk, stages.New.pk, stages.SQL.pk, stages.Opportunity.pk]
        order += [stages.Lost.pk, stages.Won.pk]
        result = stages_reorder(board_id=board.pk, actor=owner, stages=order)
        assert names(board) == ["MQL", "New", "SQL", "Opportunity", "Lost", "Won"]
        assert positions(board) == list(range(6))
        assert result.event["stages"] == order and result.event["handoff"] == stages.SQL.pk
        fits_schema(result.event)

    def test_the_same_order_stores_nothing(self, board, stages, owner):
        before = written(board)
        order = list(board.stages.order_by("position").values_list("id", flat=True))
        assert stages_reorder(board_id=board.pk, actor=owner, stages=order).event is None
        assert written(board) == before

    @pytest.mark.parametrize("case", ["unknown", "missing", "twice", "open after won", "other"])
    def test_refusals(self, board, stages, owner, case):
        order = list(board.stages.order_by("position").values_list("id", flat=True))
        other = Stage.objects.filter(board=BoardFactory(created_by=owner)).first()
        sent = {
            "unknown": [*order, 10**9],
            "missing": order[:-1],
            "twice": [*order, order[0]],
            "open after won": [*order[:3], stages.Won.pk, stages.Opportunity.pk, stages.Lost.pk],
            "other": [*order[:-1], other.pk],
        }[case]
        before = written(board)
        with pytest.raises(InvalidInput) as refused:
            stages_reorder(board_id=board.pk, actor=owner, stages=sent)
        assert refused.value.field == "stages"
        assert written(board) == before


# --- Remove ---


class TestDelete:
    def test_an_empty_stage_goes_soft(self, board, stages, owner):
        result = stage_delete(stage_id=stages.MQL.pk, actor=owner)
        assert names(board) == ["New", "SQL", "Opportunity", "Won", "Lost"]
        assert positions(board) == list(range(5))
        gone = Stage.all_objects.get(pk=stages.MQL.pk)
        assert gone.removed_at is not None and not Stage.objects.filter(pk=gone.pk).exists()
        event = result.event
        assert (event["stage"], event["move_to"], event["moves"]) == (stages.MQL.pk, None, [])
        assert event["batch"] == str(result.batch) and event["order"] == result.order
        fits_schema(event)

    def test_its_leads_move_as_one_batch(self, board, stages, owner, campaign):
        make_leads(board, owner, stages.MQL, "Ada", "Bo", "Cy")
        make_leads(board, owner, stages.SQL, "Dee")
        # MQL [Cy Bo Ada] SQL [Dee]   remove MQL, leads to SQL -> SQL [Cy Bo Ada Dee]
        before = leads_in(stages.MQL)
        result = stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        assert leads_in(stages.SQL) == [*before, "Dee"]
        moved = StageTransition.objects.filter(batch=result.batch)
        assert moved.count() == 3 == result.moved
        assert set(moved.values_list("from_stage_id", "to_stage_id")) == {
            (stages.MQL.pk, stages.SQL.pk)
        }
        assert {lead.stage_entered_at for lead in Lead.objects.filter(stage=stages.SQL)} >= {
            result.stage.removed_at
        }
        event = result.event
        assert event["move_to"] == stages.SQL.pk and len(event["moves"]) == 3
        assert [m["to_stage"] for m in event["moves"]] == [stages.SQL.pk] * 3
        fits_schema(event)

    def test_leads_need_a_place_to_go(self, board, stages, owner):
        make_leads(board, owner, stages.MQL, "Ada")
        before = written(board)
        for move_to in (None, stages.MQL.pk, 10**9):
            with pytest.raises(InvalidInput) as refused:
                stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=move_to)
            assert refused.value.field == "move_to"
        assert written(board) == before

    @pytest.mark.parametrize("stage", ["Won"])
    def test_the_won_stage_stays(self, board, stages, owner, stage):
        with pytest.raises(InvalidInput) as refused:
            stage_delete(stage_id=getattr(stages, stage).pk, actor=owner)
        assert refused.value.field == "stage"

    def test_the_last_open_stage_stays(self, board, stages, owner):
        for name in ("New", "MQL", "SQL"):
            stage_delete(stage_id=getattr(stages, name).pk, actor=owner)
        before = written(board)
        with pytest.raises(InvalidInput) as refused:
            stage_delete(stage_id=stages.Opportunity.pk, actor=owner)
        assert refused.value.field == "stage"
        assert written(board) == before

    def test_a_removed_stage_is_not_found_again(self, board, stages, owner):
        stage_delete(stage_id=stages.MQL.pk, actor=owner)
        for write in (
            lambda: stage_delete(stage_id=stages.MQL.pk, actor=owner),
            lambda: stage_update(stage_id=stages.MQL.pk, actor=owner, name="Back"),
        ):
            with pytest.raises(NotFound):
                write()
        # ... and no lead can go there.
        (ada,) = make_leads(board, owner, stages.New, "Ada")
        with pytest.raises(InvalidInput):
            lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner)
        # Its name is free for a new stage.
        stage_create(board_id=board.pk, actor=owner, name="MQL", after=stages.New.pk)


# --- Undo of a removal ---


class TestUndo:
    def test_undo_brings_the_stage_back_with_its_leads(self, board, stages, owner):
        ada, bo = make_leads(board, owner, stages.MQL, "Ada", "Bo")
        entered = {lead.pk: lead.stage_entered_at for lead in (ada, bo)}
        order = leads_in(stages.MQL)
        removal = stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        seq = removal.seq

        undone = transition_undo(board_id=board.pk, actor=owner, batch=removal.batch)
        assert names(board) == ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"]
        assert Stage.objects.get(pk=stages.MQL.pk).position == 1
        assert leads_in(stages.MQL) == order and leads_in(stages.SQL) == []
        for lead in Lead.objects.filter(pk__in=entered):
            assert lead.stage_entered_at == entered[lead.pk]  # days in stage go on
        assert undone.undone == 2
        created, moved = events(board)[seq:]
        assert created["type"] == "stage.created" and created["stage"]["id"] == stages.MQL.pk
        assert created["order"][1] == stages.MQL.pk and created["seq"] == seq + 1
        assert moved["type"] == "leads.moved" and moved["undoes"] == {"batch": str(removal.batch)}
        assert undone.event["seq"] == seq + 2 == undone.seq
        for event in BoardEvent.objects.filter(board=board, seq__gt=seq):
            from leads.events import event_message

            fits_schema(event_message(event))
        # Twice is once.
        with pytest.raises(Conflict):
            transition_undo(board_id=board.pk, actor=owner, batch=removal.batch)

    def test_undo_of_an_empty_stage_removal(self, board, stages, owner):
        removal = stage_delete(stage_id=stages.Opportunity.pk, actor=owner)
        undone = transition_undo(board_id=board.pk, actor=owner, batch=removal.batch)
        assert names(board) == ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"]
        assert undone.undone == 0 and undone.event["type"] == "stage.created"

    def test_leads_that_moved_on_stay(self, board, stages, owner):
        ada, _bo = make_leads(board, owner, stages.MQL, "Ada", "Bo")
        removal = stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        lead_move(lead_id=ada.pk, to_stage_id=stages.Won.pk, actor=owner)
        undone = transition_undo(board_id=board.pk, actor=owner, batch=removal.batch)
        assert undone.skipped == [ada.pk]
        assert leads_in(stages.MQL) == ["Bo"]

    def test_a_name_taken_meanwhile_blocks_the_way_back(self, board, stages, owner):
        removal = stage_delete(stage_id=stages.MQL.pk, actor=owner)
        stage_create(board_id=board.pk, actor=owner, name="mql")
        before = written(board)
        with pytest.raises(Conflict):
            transition_undo(board_id=board.pk, actor=owner, batch=removal.batch)
        assert written(board) == before

    def test_only_the_owner_brings_a_stage_back(self, board, stages, owner, editor):
        removal = stage_delete(stage_id=stages.MQL.pk, actor=owner)
        with pytest.raises(PermissionDenied):
            transition_undo(board_id=board.pk, actor=editor, batch=removal.batch)

    def test_an_old_move_out_of_a_removed_stage_cannot_be_undone(self, board, stages, owner):
        (ada,) = make_leads(board, owner, stages.MQL, "Ada")
        moved = lead_move(lead_id=ada.pk, to_stage_id=stages.SQL.pk, actor=owner)
        stage_delete(stage_id=stages.MQL.pk, actor=owner)
        with pytest.raises(Conflict):
            transition_undo(board_id=board.pk, actor=owner, transition_id=moved.transition.pk)


# --- Who may ---


WRITES = {
    "create": lambda board, stages, actor: stage_create(
        board_id=board.pk, actor=actor, name="Demo"
    ),
    "update": lambda board, stages, actor: stage_update(
        stage_id=stages.MQL.pk, actor=actor, sla_days=2
    ),
    "reorder": lambda board, stages, actor: stages_reorder(
        board_id=board.pk,
        actor=actor,
        stages=[
            stages.MQL.pk,
            stages.New.pk,
            stages.SQL.pk,
            stages.Opportunity.pk,
            stages.Won.pk,
            stages.Lost.pk,
        ],
    ),
    "delete": lambda board, stages, actor: stage_delete(stage_id=stages.MQL.pk, actor=actor),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(
    ("who", "refusal"),
    [("editor", PermissionDenied), ("viewer", PermissionDenied), ("outsider", NotFound)],
)
def test_only_the_owner_sets_up_stages(request, board, stages, owner, write, who, refusal):
    actor = request.getfixturevalue(who)
    before = written(board)
    with pytest.raises(refusal):
        WRITES[write](board, stages, actor)
    assert written(board) == before
    WRITES[write](board, stages, owner)


# --- Events reach the board's sockets after commit ---


def test_events_are_published_after_commit_only(
    board, stages, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = stage_create(board_id=board.pk, actor=owner, name="Demo")
    assert callbacks, "published on commit"
    assert result.event["type"] == "stage.created"
    assert result.event == events_message(board, result.seq)


def events_message(board, seq):
    from leads.events import event_message

    return event_message(BoardEvent.objects.get(board=board, seq=seq))


# --- What a removed stage leaves behind ---


class TestRemovedStage:
    def test_state_and_numbers_show_live_stages_in_their_order(self, board, stages, owner, api):
        ada, bo = make_leads(board, owner, stages.New, "Ada", "Bo")
        lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner)
        lead_move(lead_id=bo.pk, to_stage_id=stages.MQL.pk, actor=owner)
        stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        # Transitions into MQL stay in the history.
        assert StageTransition.objects.filter(to_stage=stages.MQL).count() == 2

        state = board_state_get(board_id=board.pk, user=owner)
        assert [s["name"] for s in state["stages"]] == ["New", "SQL", "Opportunity", "Won", "Lost"]
        assert all(str(stages.MQL.pk) not in c["stages"] for c in state["campaigns"])

        funnel = api.get(f"/api/boards/{board.pk}/funnel/").json()
        assert [s["name"] for s in funnel["stages"]] == ["New", "SQL", "Opportunity", "Won", "Lost"]
        by = {s["name"]: s for s in funnel["stages"]}
        assert by["New"]["reached"] == 2 and by["SQL"]["reached"] == 2

        past = board_state_as_of(board_id=board.pk, user=owner, as_of=timezone.now())
        assert [s["name"] for s in past["stages"]] == [s["name"] for s in state["stages"]]

    def test_exports_name_the_removed_stage_in_the_past(self, board, stages, owner, api):
        (_ada,) = make_leads(board, owner, stages.MQL, "Ada")
        stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        response = api.get(f"/api/boards/{board.pk}/transitions.csv")
        rows = list(
            csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
        )
        header = rows[0]
        moves = [dict(zip(header, row, strict=True)) for row in rows[1:]]
        removal = [m for m in moves if m["from_stage"] == "MQL"]
        assert removal and removal[0]["to_stage"] == "SQL" and "removed" in removal[0]["note"]
        leads_csv = b"".join(api.get(f"/api/boards/{board.pk}/export.csv").streaming_content)
        assert b",SQL," in leads_csv and b",MQL," not in leads_csv


# --- Overdue: leads past the stage's SLA ---


def test_state_counts_leads_past_the_sla(board, stages, owner):
    ada, bo, _cy = make_leads(board, owner, stages.New, "Ada", "Bo", "Cy")
    now = timezone.now()
    # New's SLA is 7 days: 8 whole days is past it, 7 days and a bit is not yet.
    Lead.objects.filter(pk=ada.pk).update(stage_entered_at=now - timedelta(days=8))
    Lead.objects.filter(pk=bo.pk).update(stage_entered_at=now - timedelta(days=7, hours=3))
    board_tallies_rebuild(board)  # the edits above passed the write paths
    state = board_state_get(board_id=board.pk, user=owner)
    by = {s["name"]: s for s in state["stages"]}
    assert by["New"]["overdue"] == 1
    assert by["Won"]["overdue"] == 0  # no SLA
    stage_update(stage_id=stages.New.pk, actor=owner, sla_days=1)
    state = board_state_get(board_id=board.pk, user=owner)
    assert next(s for s in state["stages"] if s["name"] == "New")["overdue"] == 2
    # Filters apply: the count is of the leads shown.
    filtered = board_state_get(board_id=board.pk, user=owner, filters={"q": "Ada"})
    assert next(s for s in filtered["stages"] if s["name"] == "New")["overdue"] == 1


def test_the_past_counts_leads_past_the_sla_then(board, stages, owner):
    (ada,) = make_leads(board, owner, stages.New, "Ada")
    long_ago = timezone.now() - timedelta(days=10)
    Lead.objects.filter(pk=ada.pk).update(created_at=long_ago, stage_entered_at=long_ago)
    StageTransition.objects.filter(lead=ada).update(at=long_ago)
    by = {
        s["name"]: s
        for s in board_state_as_of(board_id=board.pk, user=owner, as_of=timezone.now())["stages"]
    }
    assert by["New"]["overdue"] == 1  # 10 days in New, SLA 7
    then = long_ago + timedelta(days=3)
    by = {
        s["name"]: s for s in board_state_as_of(board_id=board.pk, user=owner, as_of=then)["stages"]
    }
    assert by["New"]["overdue"] == 0


# --- REST ---


class TestApi:
    def test_create_update_reorder_delete(self, board, stages, api):
        created = api.post(
            f"/api/boards/{board.pk}/stages/",
            {"name": "Demo", "team": "sales", "wip_limit": 3, "after": stages.SQL.pk},
            format="json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        demo = body["stage"]["id"]
        assert body["stage"]["position"] == 3 and body["event"]["type"] == "stage.created"
        assert body["order"][3] == demo and body["seq"] == body["event"]["seq"]

        changed = api.patch(
            f"/api/stages/{demo}/", {"sla_days": 4, "color": "#112233"}, format="json"
        )
        assert changed.status_code == 200, changed.content
        assert changed.json()["event"]["fields"] == ["color", "sla_days"]
        assert changed.json()["stage"]["sla_days"] == 4

        order = [stages.New.pk, stages.MQL.pk, demo, stages.SQL.pk, stages.Opportunity.pk]
        order += [stages.Won.pk, stages.Lost.pk]
        reordered = api.post(
            f"/api/boards/{board.pk}/stages/order/", {"stages": order}, format="json"
        )
        assert reordered.status_code == 200, reordered.content
        assert reordered.json()["event"]["stages"] == order and reordered.json()["stage"] is None

        lead = lead_create(board_id=board.pk, actor=board.created_by, name="Ada", stage_id=demo)
        refused = api.delete(f"/api/stages/{demo}/", {}, format="json")
        error(refused, 400, "move_to")
        removed = api.delete(f"/api/stages/{demo}/", {"move_to": stages.SQL.pk}, format="json")
        assert removed.status_code == 200, removed.content
        assert removed.json()["moved"] == 1 and removed.json()["event"]["type"] == "stage.deleted"
        assert Lead.objects.get(pk=lead.pk).stage_id == stages.SQL.pk
        assert api.patch(f"/api/stages/{demo}/", {"name": "x"}, format="json").status_code == 404

        undone = api.post(
            f"/api/boards/{board.pk}/undo/", {"batch": removed.json()["batch"]}, format="json"
        )
        assert undone.status_code == 200, undone.content
        assert Lead.objects.get(pk=lead.pk).stage_id == demo
        assert undone.json()["event"]["type"] == "leads.moved"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "mql"}, "name"),
            ({"name": "X", "sla_days": 0}, "sla_days"),
            ({"name": "X", "wip_limit": -1}, "wip_limit"),
            ({"name": "X", "color": "blue"}, "color"),
            ({"name": "X", "kind": "won"}, "kind"),
            ({"name": "X", "kind": "nope"}, "kind"),
            ({"name": "X", "surprise": 1}, "surprise"),
            ({"sla_days": 3}, "name"),
        ],
    )
    def test_create_refusals_are_400_naming_the_field(self, board, stages, api, body, field):
        before = written(board)
        error(api.post(f"/api/boards/{board.pk}/stages/", body, format="json"), 400, field)
        assert written(board) == before

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "SQL"}, "name"),
            ({"sla_days": -1}, "sla_days"),
            ({"wip_limit": 0}, "wip_limit"),
            ({"color": "#GGGGGG"}, "color"),
            ({"position": 0}, "position"),
            ({"sla_days": "soon"}, "sla_days"),
        ],
    )
    def test_update_refusals(self, board, stages, api, body, field):
        before = written(board)
        error(api.patch(f"/api/stages/{stages.MQL.pk}/", body, format="json"), 400, field)
        assert written(board) == before

    def test_the_won_stage_and_the_last_open_one_stay(self, board, stages, api):
        error(
            api.patch(f"/api/stages/{stages.Won.pk}/", {"kind": "open"}, format="json"), 400, "kind"
        )
        error(api.delete(f"/api/stages/{stages.Won.pk}/"), 400, "stage")

    @pytest.mark.parametrize(
        "order",
        [
            "unknown",
            "missing",
            "twice",
            "empty",
            "not ids",
        ],
    )
    def test_reorder_refusals(self, board, stages, api, order):
        ids = list(board.stages.order_by("position").values_list("id", flat=True))
        sent = {
            "unknown": [*ids, 10**9],
            "missing": ids[1:],
            "twice": [ids[0], *ids],
            "empty": [],
            "not ids": ["a", *ids],
        }[order]
        before = written(board)
        error(
            api.post(f"/api/boards/{board.pk}/stages/order/", {"stages": sent}, format="json"),
            400,
            "stages",
        )
        assert written(board) == before

    @pytest.mark.parametrize(
        ("who", "status"), [("editor", 403), ("viewer", 403), ("outsider", 404)]
    )
    def test_only_the_owner(self, request, board, stages, who, status):
        client = client_for(request.getfixturevalue(who))
        before = written(board)
        calls = [
            client.post(f"/api/boards/{board.pk}/stages/", {"name": "X"}, format="json"),
            client.patch(f"/api/stages/{stages.MQL.pk}/", {"name": "X"}, format="json"),
            client.delete(f"/api/stages/{stages.MQL.pk}/"),
            client.post(
                f"/api/boards/{board.pk}/stages/order/",
                {"stages": list(board.stages.values_list("id", flat=True))},
                format="json",
            ),
        ]
        assert [c.status_code for c in calls] == [status] * 4
        assert written(board) == before

    def test_anonymous_is_refused(self, board, stages):
        client = client_for(None)
        assert client.post(f"/api/boards/{board.pk}/stages/", {"name": "X"}).status_code in (
            401,
            403,
        )

    def test_the_schema_documents_the_routes(self, api):
        schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
        paths = schema["paths"]
        assert "post" in paths["/api/boards/{board_id}/stages/"]
        assert {"patch", "delete"} <= set(paths["/api/stages/{stage_id}/"])
        assert "post" in paths["/api/boards/{board_id}/stages/order/"]

    def test_state_carries_overdue_and_wip_limit(self, board, stages, api):
        stage_update(stage_id=stages.MQL.pk, actor=board.created_by, wip_limit=3)
        state = api.get(f"/api/boards/{board.pk}/state/").json()
        mql = next(s for s in state["stages"] if s["id"] == stages.MQL.pk)
        assert mql["wip_limit"] == 3 and mql["overdue"] == 0


# --- Import: new stages before Won, or after a given stage ---


CSV = b"Name,Email,Stage\nAda,ada@example.com,Nurture\nBo,bo@example.com,Demo\nCy,,New\n"


class TestImport:
    def test_new_stages_go_before_won_by_default(self, board, stages, owner):
        result = leads_import(board_id=board.pk, actor=owner, data=CSV, create_missing=True)
        assert not result.errors
        assert names(board) == [
            "New",
            "MQL",
            "SQL",
            "Opportunity",
            "Nurture",
            "Demo",
            "Won",
            "Lost",
        ]
        assert positions(board) == list(range(8))

    def test_or_after_a_stage(self, board, stages, owner):
        leads_import(
            board_id=board.pk,
            actor=owner,
            data=CSV,
            create_missing=True,
            new_stages_after=stages.New.pk,
        )
        assert names(board)[:4] == ["New", "Nurture", "Demo", "MQL"]

    @pytest.mark.parametrize("after", ["Won", "unknown"])
    def test_not_after_won_nor_an_unknown_stage(self, board, stages, owner, after):
        place = stages.Won.pk if after == "Won" else 10**9
        before = written(board)
        with pytest.raises(InvalidInput) as refused:
            leads_import(
                board_id=board.pk,
                actor=owner,
                data=CSV,
                create_missing=True,
                new_stages_after=place,
            )
        assert refused.value.field == "new_stages_after"
        assert written(board) == before

    def test_created_stages_are_ordinary_stages(self, board, stages, owner):
        leads_import(board_id=board.pk, actor=owner, data=CSV, create_missing=True)
        nurture = Stage.objects.get(board=board, name="Nurture")
        demo = Stage.objects.get(board=board, name="Demo")
        stage_update(stage_id=nurture.pk, actor=owner, name="Nurturing", team="sales")
        order = list(board.stages.order_by("position").values_list("id", flat=True))
        order.remove(demo.pk)
        order.insert(0, demo.pk)
        stages_reorder(board_id=board.pk, actor=owner, stages=order)
        assert names(board)[0] == "Demo"
        stage_delete(stage_id=demo.pk, actor=owner, move_to=stages.New.pk)
        assert "Demo" not in names(board)
        assert Lead.objects.get(name="Bo").stage_id == stages.New.pk

    def test_through_the_api(self, board, stages, api):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("leads.csv", CSV, content_type="text/csv")
        answer = api.post(
            f"/api/boards/{board.pk}/import/",
            {"file": upload, "create_missing": "true", "new_stages_after": str(stages.MQL.pk)},
            format="multipart",
        )
        assert answer.status_code == 200, answer.content
        assert names(board)[:4] == ["New", "MQL", "Nurture", "Demo"]
        upload = SimpleUploadedFile("leads.csv", CSV, content_type="text/csv")
        refused = api.post(
            f"/api/boards/{board.pk}/import/",
            {"file": upload, "create_missing": "true", "new_stages_after": str(stages.Lost.pk)},
            format="multipart",
        )
        error(refused, 400, "new_stages_after")

    def test_a_too_long_stage_name_is_a_row_problem(self, board, stages, owner):
        data = b"Name,Stage\nAda," + b"x" * 150 + b"\n"
        before = written(board)
        result = leads_import(board_id=board.pk, actor=owner, data=data, create_missing=True)
        assert result.errors and result.errors[0]["field"] == "stage"
        assert written(board) == before


def test_removed_stages_names_stay_for_the_recap(board, stages, owner):
    from leads.selectors import board_stage_names

    stage_delete(stage_id=stages.MQL.pk, actor=owner)
    assert board_stage_names(board.pk)[stages.MQL.pk] == "MQL"
