"""The one typed source of the board's messages (leads.events.schema): served at
GET /api/events/schema/, written into the front end's build, and the only way a
service builds a stored event."""

from __future__ import annotations

import json
import typing

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pydantic import ValidationError

from funnel.management.commands.event_contract import contract_module
from funnel.realtime.consumer import Close
from funnel.sharing import share_link_create
from leads.events import event_append
from leads.events.schema import (
    EPHEMERAL_MESSAGES,
    EPHEMERAL_TYPES,
    EVENT_OF_PAYLOAD,
    STORED_EVENTS,
    STORED_TYPES,
    LeadMovedPayload,
    Message,
    StoredEvent,
    message_schema,
)
from leads.models import Board, BoardEvent
from tests.conftest import client_for

URL = "/api/events/schema/"


def union_members(annotated) -> set[type]:
    return set(typing.get_args(typing.get_args(annotated)[0]))


def test_the_unions_name_every_message_once():
    assert union_members(StoredEvent) == set(STORED_EVENTS)
    assert union_members(Message) == {*STORED_EVENTS, *EPHEMERAL_MESSAGES}
    assert len({*STORED_TYPES, *EPHEMERAL_TYPES}) == len(STORED_TYPES) + len(EPHEMERAL_TYPES)
    assert set(EVENT_OF_PAYLOAD.values()) == set(STORED_EVENTS)


def test_schema_is_a_one_of_with_a_type_const_each():
    schema = message_schema()
    branches = [schema["$defs"][ref["$ref"].rsplit("/", 1)[1]] for ref in schema["oneOf"]]
    consts = [branch["properties"]["type"]["const"] for branch in branches]
    assert sorted(consts) == sorted([*STORED_TYPES, *EPHEMERAL_TYPES])
    for branch in branches:
        assert "type" in branch["required"] and branch["additionalProperties"] is False
    for name in STORED_TYPES:
        ref = schema["discriminator"]["mapping"][name].rsplit("/", 1)[1]
        assert {"seq", "at", "actor"} <= set(schema["$defs"][ref]["required"])
    # A share link's guest sees people without their username.
    assert "username" not in schema["$defs"]["Person"]["required"]


@pytest.mark.django_db
def test_members_and_guests_read_it_anonymous_is_401(board, owner):
    member = client_for(owner).get(URL)
    assert member.status_code == 200
    assert member.json() == json.loads(json.dumps(message_schema()))
    link = share_link_create(board_id=board.pk, actor=owner)
    guest = client_for(None).get(URL, HTTP_X_SHARE_TOKEN=link.token)
    assert guest.status_code == 200
    # The same schema, "username" property and all (no guest renderer rewrites it).
    assert guest.json() == member.json()
    anonymous = client_for(None).get(URL)
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    assert "detail" in anonymous.json()


@pytest.mark.django_db
def test_the_openapi_schema_lists_it(owner):
    answer = client_for(owner).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert URL in answer.json()["paths"]


def test_the_front_end_module_carries_the_schema_and_close_codes(tmp_path, capsys):
    text = contract_module()
    assert f"export const MESSAGE_SCHEMA = {json.dumps(message_schema(), indent=2)};" in text
    close = {code.name: code.value for code in Close}
    assert f"export const CLOSE = {json.dumps(close, indent=2)};" in text
    path = tmp_path / "generated" / "contract.js"
    call_command("event_contract", str(path))
    assert path.read_text() == text
    call_command("event_contract", "-")
    assert capsys.readouterr().out == text


@pytest.mark.django_db
def test_a_payload_that_does_not_fit_is_refused_and_takes_no_seq(board, owner, stages):
    with pytest.raises(ValidationError):
        LeadMovedPayload.model_validate({"from_stage": stages.New.pk, "moves": []})
    # Even one built around the checks is checked again before its seq is taken.
    unchecked = LeadMovedPayload.model_construct(from_stage=stages.New.pk, moves=[])
    with pytest.raises(ValidationError):
        event_append(board_id=board.pk, payload=unchecked, actor=owner)
    assert Board.objects.get(pk=board.pk).last_seq == 0
    assert not BoardEvent.objects.filter(board=board).exists()


@pytest.mark.django_db
def test_write_answers_carry_the_stored_event(board, owner, editor, stages, campaign):
    """Move, campaign move, undo, import and feedback answer with the event every
    other client receives: the acting browser applies exactly that."""
    api = client_for(owner)

    def last_logged() -> dict:
        return api.get(f"/api/boards/{board.pk}/events/").json()["events"][-1]

    lead = api.post(
        "/api/leads/",
        {"board": board.pk, "name": "Ada", "campaign": campaign.pk, "email": "ada@x.io"},
        format="json",
    ).json()
    moved = api.post(f"/api/leads/{lead['id']}/move/", {"to_stage": stages.SQL.pk}, format="json")
    assert moved.json()["event"] == last_logged()
    assert moved.json()["event"]["type"] == "lead.moved"
    assert moved.json()["event"]["lead"] == moved.json()["lead"]

    batch = api.post(
        f"/api/campaigns/{campaign.pk}/move/",
        {"from_stage": stages.SQL.pk, "to_stage": stages.MQL.pk},
        format="json",
    ).json()
    assert batch["event"] == last_logged() and batch["event"]["type"] == "campaign.moved"

    undone = api.post(f"/api/boards/{board.pk}/undo/", {"batch": batch["batch"]}, format="json")
    assert undone.json()["event"] == last_logged()
    assert undone.json()["event"]["type"] == "leads.moved"

    judged = client_for(editor).post(
        f"/api/leads/{lead['id']}/feedback/", {"verdict": "accepted"}, format="json"
    )
    assert judged.status_code == 201
    assert judged.json()["event"] == last_logged()
    assert judged.json()["event"]["at"] == judged.json()["at"]  # the verdict's moment

    upload = SimpleUploadedFile("l.csv", b"Name,Email\nBob,bob@x.io\n", content_type="text/csv")
    imported = api.post(f"/api/boards/{board.pk}/import/", {"file": upload}, format="multipart")
    assert imported.json()["event"] == last_logged()
    assert imported.json()["event"]["type"] == "leads.imported"
    # Nothing written, nothing stored: no event.
    again = SimpleUploadedFile("l.csv", b"Name,Email\nBob,bob@x.io\n", content_type="text/csv")
    repeat = api.post(f"/api/boards/{board.pk}/import/", {"file": again}, format="multipart")
    assert repeat.status_code == 200 and repeat.json()["event"] is None
