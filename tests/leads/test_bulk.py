"""Bulk writes (``POST /api/boards/<id>/bulk/``): each action, all or nothing, one
event, one undo; and a lead's end of life (archive, restore, erase): off the
board, the numbers of the past unchanged, the personal data gone."""

from __future__ import annotations

import pytest

from leads.models import (
    BoardEvent,
    Lead,
    LeadChange,
    LeadFeedback,
    LeadNote,
    StageTransition,
    TransitionSource,
)
from leads.services import campaign_create, lead_create
from tests.conftest import client_for
from tests.factories import BoardFactory


@pytest.fixture
def cards(board, owner, stages, campaign):
    """Six leads in New, two in MQL (the top first in each list)."""
    new = [
        lead_create(board_id=board.pk, actor=owner, name=f"New {i}", campaign_id=campaign.pk)
        for i in range(6)
    ]
    mql = [
        lead_create(board_id=board.pk, actor=owner, name=f"MQL {i}", stage_id=stages.MQL.pk)
        for i in range(2)
    ]
    return new + mql


def bulk(client, board, **body):
    return client.post(f"/api/boards/{board.pk}/bulk/", body, format="json")


def where(leads) -> dict[int, tuple[int, str]]:
    return {
        lead.pk: (lead.stage_id, lead.position)
        for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads])
    }


def events_after(board, seq):
    return list(BoardEvent.objects.filter(board=board, seq__gt=seq).order_by("seq"))


def last_seq(board) -> int:
    board.refresh_from_db()
    return board.last_seq


def column(stage) -> list[int]:
    return list(
        Lead.objects.filter(stage=stage, archived_at__isnull=True)
        .order_by("position", "id")
        .values_list("id", flat=True)
    )


def test_move_is_one_batch_one_event_on_top(api, board, stages, cards):
    chosen = [cards[1], cards[3], cards[6]]
    seq = last_seq(board)
    answer = bulk(api, board, leads=[c.pk for c in chosen], action="move", to_stage=stages.SQL.pk)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["count"] == 3 and body["seq"] == seq + 1
    (event,) = events_after(board, seq)
    assert event.type == "leads.moved"
    assert event.payload["source"] == "bulk" and event.payload["undoes"] is None
    assert body["event"]["type"] == "leads.moved" and body["event"]["seq"] == event.seq
    assert [m["lead"] for m in event.payload["moves"]] == [c.pk for c in chosen]
    assert column(stages.SQL) == [c.pk for c in chosen]  # on top, in the order given
    transitions = StageTransition.objects.filter(batch=body["batch"])
    assert transitions.count() == 3
    assert {t.source for t in transitions} == {TransitionSource.BULK}
    assert {t.lead_id: t.from_stage_id for t in transitions} == {
        cards[1].pk: stages.New.pk,
        cards[3].pk: stages.New.pk,
        cards[6].pk: stages.MQL.pk,
    }
    assert all(Lead.objects.get(pk=c.pk).version == c.version + 1 for c in chosen)


def test_move_at_a_position_and_duplicates_folded(api, board, stages, cards):
    answer = bulk(
        api,
        board,
        leads=[cards[0].pk, cards[0].pk, cards[1].pk],
        action="move",
        to_stage=stages.MQL.pk,
        position=1,
    )
    assert answer.status_code == 200 and answer.json()["count"] == 2
    assert column(stages.MQL) == [cards[7].pk, cards[0].pk, cards[1].pk, cards[6].pk]


def test_undo_once_restores_every_stage_and_rank(api, board, stages, cards):
    before = where(cards)
    new_order, mql_order = column(stages.New), column(stages.MQL)
    chosen = [cards[0], cards[2], cards[4], cards[7]]
    batch = bulk(api, board, leads=[c.pk for c in chosen], action="move", to_stage=stages.SQL.pk)
    seq = last_seq(board)
    undo = api.post(
        f"/api/boards/{board.pk}/undo/", {"batch": batch.json()["batch"]}, format="json"
    )
    assert undo.status_code == 200, undo.json()
    (event,) = events_after(board, seq)
    assert event.type == "leads.moved" and event.payload["source"] == "undo"
    assert event.payload["undoes"] == {"batch": batch.json()["batch"]}
    assert where(cards) == before
    assert column(stages.New) == new_order and column(stages.MQL) == mql_order
    assert column(stages.SQL) == []


def test_lost_needs_a_listed_reason_and_stores_it(api, board, stages, cards):
    ids = [cards[0].pk, cards[1].pk]
    seq = last_seq(board)
    missing = bulk(api, board, leads=ids, action="lost")
    assert missing.status_code == 400 and "reason" in missing.json()
    unlisted = bulk(api, board, leads=ids, action="lost", reason="Aliens")
    assert unlisted.status_code == 400 and "reason" in unlisted.json()
    via_move = bulk(api, board, leads=ids, action="move", to_stage=stages.Lost.pk)
    assert via_move.status_code == 400 and "reason" in via_move.json()
    assert last_seq(board) == seq and column(stages.Lost) == []
    answer = bulk(api, board, leads=ids, action="lost", reason="no budget", note="Q1 freeze")
    assert answer.status_code == 200, answer.json()
    (event,) = events_after(board, seq)
    assert event.payload["reason"] == "No budget"
    transitions = StageTransition.objects.filter(batch=answer.json()["batch"])
    assert {(t.to_stage_id, t.reason, t.note) for t in transitions} == {
        (stages.Lost.pk, "No budget", "Q1 freeze")
    }


def test_assign_and_campaign_are_one_leads_updated(api, board, editor, stages, cards):
    ids = [cards[0].pk, cards[6].pk]
    seq = last_seq(board)
    answer = bulk(api, board, leads=ids, action="assign", owner=editor.pk)
    assert answer.status_code == 200, answer.json()
    (event,) = events_after(board, seq)
    assert event.type == "leads.updated" and event.payload["fields"] == ["owner"]
    assert [c["owner"] for c in event.payload["leads"]] == [editor.pk, editor.pk]
    assert set(Lead.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {editor.pk}
    other = campaign_create(board_id=board.pk, actor=board.created_by, name="Ads", channel="ads")
    answer = bulk(api, board, leads=ids, action="campaign", campaign=other.pk)
    assert answer.status_code == 200
    assert set(Lead.objects.filter(pk__in=ids).values_list("campaign_id", flat=True)) == {other.pk}
    cleared = bulk(api, board, leads=ids, action="assign", owner=None)
    assert cleared.status_code == 200
    assert set(Lead.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {None}
    stranger = bulk(api, board, leads=ids, action="assign", owner=board.created_by.pk + 999)
    assert stranger.status_code == 400 and "owner" in stranger.json()
    foreign = campaign_create(
        board_id=BoardFactory(created_by=board.created_by).pk,
        actor=board.created_by,
        name="Elsewhere",
    )
    wrong = bulk(api, board, leads=ids, action="campaign", campaign=foreign.pk)
    assert wrong.status_code == 400 and "campaign" in wrong.json()


def test_all_or_nothing(api, board, owner, stages, cards):
    other = BoardFactory(created_by=owner)
    stranger = lead_create(board_id=other.pk, actor=owner, name="Elsewhere")
    before, seq = where(cards), last_seq(board)
    ids = [c.pk for c in cards[:3]]

    foreign = bulk(api, board, leads=[*ids, stranger.pk], action="move", to_stage=stages.SQL.pk)
    assert foreign.status_code == 400
    assert foreign.json()["leads"] == [stranger.pk] and str(stranger.pk) in foreign.json()["detail"]

    unknown = bulk(api, board, leads=[*ids, 10**9], action="move", to_stage=stages.SQL.pk)
    assert unknown.status_code == 400 and unknown.json()["leads"] == [10**9]

    versions = {str(c.pk): c.version for c in cards[:3]}
    versions[str(cards[2].pk)] = cards[2].version + 5
    stale = bulk(api, board, leads=ids, action="move", to_stage=stages.SQL.pk, versions=versions)
    assert stale.status_code == 409 and stale.json()["leads"] == [cards[2].pk]

    too_many = bulk(api, board, leads=list(range(1, 10_002)), action="move", to_stage=stages.SQL.pk)
    assert too_many.status_code == 400 and "leads" in too_many.json()

    api.post(f"/api/leads/{cards[1].pk}/archive/")
    before, seq = where(cards), last_seq(board)
    archived = bulk(api, board, leads=ids, action="assign", owner=owner.pk)
    assert archived.status_code == 400 and archived.json()["leads"] == [cards[1].pk]

    unknown_field = bulk(api, board, leads=ids, action="assign", owner=None, to_stage=1)
    assert unknown_field.status_code == 400 and "to_stage" in unknown_field.json()
    assert where(cards) == before and last_seq(board) == seq
    assert not StageTransition.objects.filter(source=TransitionSource.BULK).exists()


def test_fresh_versions_pass(api, board, stages, cards):
    versions = {str(c.pk): c.version for c in cards[:2]}
    answer = bulk(
        api,
        board,
        leads=[c.pk for c in cards[:2]],
        action="move",
        to_stage=stages.SQL.pk,
        versions=versions,
    )
    assert answer.status_code == 200


def test_who_may(board, stages, cards, viewer, outsider):
    ids = [cards[0].pk]
    assert (
        bulk(
            client_for(viewer), board, leads=ids, action="move", to_stage=stages.SQL.pk
        ).status_code
        == 403
    )
    assert (
        bulk(
            client_for(outsider), board, leads=ids, action="move", to_stage=stages.SQL.pk
        ).status_code
        == 404
    )
    assert client_for(viewer).post(f"/api/leads/{cards[0].pk}/archive/").status_code == 403
    assert client_for(outsider).post(f"/api/leads/{cards[0].pk}/archive/").status_code == 404


# Archive, restore, erase


def state_of(api, board) -> dict:
    return api.get(f"/api/boards/{board.pk}/state/").json()


def reached(api, board) -> dict[int, int]:
    return {
        s["id"]: s["reached"] for s in api.get(f"/api/boards/{board.pk}/funnel/").json()["stages"]
    }


def test_archive_leaves_the_board_but_not_the_past(api, board, stages, cards, campaign):
    lead = cards[2]
    bulk(api, board, leads=[lead.pk], action="move", to_stage=stages.SQL.pk)
    funnel, rank = reached(api, board), Lead.objects.get(pk=lead.pk).position
    seq = last_seq(board)
    answer = api.post(f"/api/leads/{lead.pk}/archive/")
    assert answer.status_code == 200, answer.json()
    (event,) = events_after(board, seq)
    assert event.type == "lead.archived" and {k: event.payload[k] for k in ("lead", "stage")} == {
        "lead": lead.pk,
        "stage": stages.SQL.pk,
    }
    state = state_of(api, board)
    sql = next(s for s in state["stages"] if s["id"] == stages.SQL.pk)
    assert sql["count"] == 0 and sql["leads"] == []
    webinar = next(c for c in state["campaigns"] if c["id"] == campaign.pk)
    assert webinar["count"] == 5
    assert reached(api, board) == funnel  # the past adds up
    listed = api.get("/api/leads/").json()
    listed = listed.get("results", listed)
    assert lead.pk not in [row["id"] for row in listed]
    archived = api.get("/api/leads/?archived=1").json()
    assert [row["id"] for row in archived.get("results", archived)] == [lead.pk]
    assert lead.name not in api.get(f"/api/boards/{board.pk}/export.csv").getvalue().decode()
    assert str(lead.pk) in api.get(f"/api/boards/{board.pk}/transitions.csv").getvalue().decode()
    move = api.post(f"/api/leads/{lead.pk}/move/", {"to_stage": stages.New.pk}, format="json")
    assert move.status_code == 409
    assert api.post(f"/api/leads/{lead.pk}/archive/").status_code == 409

    restored = api.post(f"/api/leads/{lead.pk}/restore/")
    assert restored.status_code == 200
    assert restored.json()["event"]["type"] == "lead.restored"
    assert Lead.objects.get(pk=lead.pk).position == rank
    assert [
        c["id"]
        for s in state_of(api, board)["stages"]
        if s["id"] == stages.SQL.pk
        for c in s["leads"]
    ] == [lead.pk]
    assert api.post(f"/api/leads/{lead.pk}/restore/").status_code == 409


def test_erase_is_the_owners_and_blanks_the_person(api, board, editor, stages, cards):
    lead = cards[0]
    bulk(api, board, leads=[lead.pk], action="move", to_stage=stages.SQL.pk)
    Lead.objects.filter(pk=lead.pk).update(
        email="ann@example.com", attributes={"phone": "555"}, crm_id="CRM-1"
    )
    LeadNote.objects.create(
        lead=lead, author=board.created_by, body="Call Ann", created_at=lead.created_at
    )
    LeadChange.objects.create(
        lead=lead, actor=board.created_by, at=lead.created_at, changes={"name": ["a", "b"]}
    )
    LeadFeedback.objects.create(
        lead=lead,
        actor=editor,
        verdict="rejected",
        reason="Bad fit",
        useless_fields=["title"],
        at=lead.created_at,
    )
    funnel = reached(api, board)
    transitions = StageTransition.objects.filter(lead=lead).count()

    assert (
        client_for(editor)
        .post(f"/api/leads/{lead.pk}/erase/", {"confirm": lead.name}, format="json")
        .status_code
        == 403
    )
    wrong = api.post(f"/api/leads/{lead.pk}/erase/", {"confirm": "someone"}, format="json")
    assert wrong.status_code == 400 and "confirm" in wrong.json()
    seq = last_seq(board)
    answer = api.post(f"/api/leads/{lead.pk}/erase/", {"confirm": lead.name}, format="json")
    assert answer.status_code == 200, answer.json()
    (event,) = events_after(board, seq)
    assert event.type == "lead.erased" and {
        k: event.payload[k] for k in ("lead", "stage", "archived")
    } == {
        "lead": lead.pk,
        "stage": stages.SQL.pk,
        "archived": False,
    }
    erased = Lead.objects.get(pk=lead.pk)
    assert (erased.name, erased.email, erased.company, erased.attributes, erased.crm_id) == (
        "Erased lead",
        "",
        "",
        {},
        "",
    )
    assert erased.erased_at is not None and erased.archived_at is not None
    assert not LeadNote.objects.filter(lead=lead).exists()
    assert not LeadChange.objects.filter(lead=lead).exists()
    assert LeadFeedback.objects.get(lead=lead).reason == "Bad fit"
    assert StageTransition.objects.filter(lead=lead).count() == transitions
    assert reached(api, board) == funnel
    texts = [str(row.payload) for row in BoardEvent.objects.filter(board=board)]
    assert not any(lead.name in text or "ann@example.com" in text for text in texts)
    assert api.post(f"/api/leads/{lead.pk}/restore/").status_code == 404
    assert api.patch(f"/api/leads/{lead.pk}/", {"name": "Back"}, format="json").status_code in (
        404,
        409,
    )
    assert lead.pk not in [c["id"] for s in state_of(api, board)["stages"] for c in s["leads"]]


def test_a_bulk_move_stores_the_moment_and_ranks_each_card(api, board, stages, cards):
    answer = bulk(
        api, board, leads=[c.pk for c in cards[:3]], action="move", to_stage=stages.SQL.pk
    )
    moves = {m["lead"]: m for m in answer.json()["event"]["moves"]}
    for lead in Lead.objects.filter(pk__in=moves):
        assert lead.position == moves[lead.pk]["position"]
        assert (
            lead.stage_entered_at.isoformat().replace("+00:00", "Z")[:19]
            == moves[lead.pk]["stage_entered_at"][:19]
        )
        assert lead.stage_entered_at == lead.updated_at


def test_a_bulk_assign_is_in_each_timeline_and_tells_the_new_owner_once(
    api, board, owner, editor, stages, cards
):
    from leads.models import Notification

    ids = [cards[0].pk, cards[1].pk, cards[2].pk]
    answer = bulk(api, board, leads=ids, action="assign", owner=editor.pk)
    assert answer.status_code == 200, answer.json()
    changes = LeadChange.objects.filter(lead_id__in=ids).order_by("lead_id")
    assert [c.changes for c in changes] == [{"owner": [None, editor.pk]}] * 3
    assert {c.actor_id for c in changes} == {owner.pk}
    (told,) = Notification.objects.filter(user=editor)
    assert told.kind == "assigned" and "3 leads" in told.text and told.lead_id == ids[0]
    # Assigning them again to the same person changes nothing: no edit, no news.
    again = bulk(api, board, leads=ids, action="assign", owner=editor.pk)
    assert again.status_code == 200
    assert LeadChange.objects.filter(lead_id__in=ids).count() == 3
    assert Notification.objects.filter(user=editor).count() == 1
    timeline = api.get(f"/api/leads/{ids[0]}/timeline/").json()["items"]
    assert any(item["kind"] == "edit" for item in timeline)
