"""Notes on a lead through the API: written by editors and owners, read by every
member, changed or deleted by their author for 15 minutes, @mentions of members
only, a body of at most 10,000 characters (a 1 MB one is a JSON 400, never a 500),
and each write one stored event shaped by the schema."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.utils import timezone

from leads.events.schema import stored_event_adapter
from leads.models import BoardEvent, LeadNote, Notification
from leads.rules import NOTE_EDIT_MINUTES
from leads.services import lead_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(board, owner, stages):
    return lead_create(board_id=board.pk, actor=owner, name="Ada Lovelace", company="Acme")


def notes_url(lead) -> str:
    return f"/api/leads/{lead.pk}/notes/"


def add(user, lead, body):
    return client_for(user).post(notes_url(lead), {"body": body}, format="json")


def test_an_editor_adds_a_note_and_every_member_reads_it(lead, editor, viewer, owner):
    answer = add(editor, lead, "Called them: <b>call back</b> Monday")
    assert answer.status_code == 201, answer.content
    note = answer.json()
    assert note["body"] == "Called them: <b>call back</b> Monday"  # stored as text, as typed
    assert note["author"]["username"] == "dana" and note["author"]["team"] == "sales"
    assert note["may_edit"] is True and note["edit_until"] is not None
    assert note["mentions"] == [] and note["edited_at"] is None
    event = note["event"]
    assert event["type"] == "note.created" and event["note"]["id"] == note["id"]
    assert event["actor"]["id"] == editor.pk

    listed = client_for(viewer).get(notes_url(lead)).json()
    assert listed["count"] == 1
    [seen] = listed["results"]
    assert seen["body"] == note["body"] and seen["may_edit"] is False
    assert seen["edit_until"] is None
    # The owner may not change the editor's note either.
    assert client_for(owner).get(notes_url(lead)).json()["results"][0]["may_edit"] is False


def test_the_list_is_newest_first_and_paged(lead, editor):
    for body in ("first", "second", "third"):
        assert add(editor, lead, body).status_code == 201
    page = client_for(editor).get(notes_url(lead) + "?limit=2").json()
    assert [n["body"] for n in page["results"]] == ["third", "second"]
    assert page["count"] == 3 and page["next"]


def test_viewers_and_outsiders_do_not_write(lead, viewer, outsider):
    answer = add(viewer, lead, "hello")
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Viewers cannot change the board."
    assert add(outsider, lead, "hello").status_code == 404
    assert client_for(outsider).get(notes_url(lead)).status_code == 404
    assert not LeadNote.objects.exists()


def test_the_author_edits_and_deletes_within_15_minutes(lead, editor):
    note = add(editor, lead, "draft").json()
    changed = client_for(editor).patch(
        f"/api/notes/{note['id']}/", {"body": "final"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["body"] == "final" and changed.json()["edited_at"]
    assert changed.json()["event"]["type"] == "note.updated"
    assert LeadNote.objects.get().body == "final"

    gone = client_for(editor).delete(f"/api/notes/{note['id']}/")
    assert gone.status_code == 200
    assert gone.json()["event"] == {
        **gone.json()["event"],
        "type": "note.deleted",
        "note": note["id"],
        "lead": lead.pk,
    }
    assert not LeadNote.objects.exists()


def test_after_15_minutes_the_author_is_refused(lead, editor):
    note = add(editor, lead, "draft").json()
    later = timezone.now() + dt.timedelta(minutes=NOTE_EDIT_MINUTES, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        listed = client_for(editor).get(notes_url(lead)).json()["results"][0]
        assert listed["may_edit"] is False
        changed = client_for(editor).patch(
            f"/api/notes/{note['id']}/", {"body": "late"}, format="json"
        )
        assert changed.status_code == 403
        assert "15 minutes" in changed.json()["detail"]
        assert client_for(editor).delete(f"/api/notes/{note['id']}/").status_code == 403
    assert LeadNote.objects.get().body == "draft"
    # Just before the end it still works.
    sooner = timezone.now() + dt.timedelta(minutes=NOTE_EDIT_MINUTES - 1)
    with mock.patch("django.utils.timezone.now", return_value=sooner):
        changed = client_for(editor).patch(
            f"/api/notes/{note['id']}/", {"body": "in time"}, format="json"
        )
        assert changed.status_code == 200


def test_others_are_refused_with_403(lead, editor, owner):
    note = add(editor, lead, "mine").json()
    changed = client_for(owner).patch(f"/api/notes/{note['id']}/", {"body": "x"}, format="json")
    assert changed.status_code == 403
    assert changed.json()["detail"] == "Only a note's author can change or delete it."
    assert client_for(owner).delete(f"/api/notes/{note['id']}/").status_code == 403
    assert LeadNote.objects.get().body == "mine"


def test_a_mention_of_a_member_is_stored_and_one_of_a_non_member_is_a_400(
    lead, editor, owner, viewer, outsider
):
    answer = add(editor, lead, "@olivia and @VIC, please look.")
    assert answer.status_code == 201, answer.content
    assert sorted(answer.json()["mentions"]) == sorted([owner.pk, viewer.pk])

    refused = add(editor, lead, "Ask @olivia and @zed")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "@zed is not a member of this board."
    assert refused.json()["body"] == ["@zed is not a member of this board."]
    # Someone outside the board is no member either; an email address is no mention.
    refused = add(editor, lead, f"cc @{outsider.username}")
    assert refused.status_code == 400 and "@mallory" in refused.json()["detail"]
    assert add(editor, lead, "write to dana@example.com").json()["mentions"] == []
    assert LeadNote.objects.count() == 2


def test_a_1_mb_note_is_a_json_400_naming_body(lead, editor):
    answer = add(editor, lead, "x" * 1_000_000)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    assert "body" in answer.json() and "10000" in answer.json()["detail"]
    # Just over the limit too; exactly at it is fine.
    assert add(editor, lead, "x" * 10_001).status_code == 400
    assert add(editor, lead, "x" * 10_000).status_code == 201
    # Empty and blank are refused naming body; a body that is no text too.
    for body in ("", "   \n", None, 12):
        answer = add(editor, lead, body)
        assert answer.status_code == 400 and "body" in answer.json(), body
    assert LeadNote.objects.count() == 1


def test_a_body_over_the_upload_limit_is_a_json_413(lead, editor):
    answer = add(editor, lead, "x" * 3_000_000)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/json"
    assert "larger than" in answer.json()["detail"]
    assert not LeadNote.objects.exists()


def test_an_archived_board_refuses_notes(board, lead, editor, owner):
    note = add(editor, lead, "before").json()
    board.archived_at = timezone.now()
    board.save(update_fields=["archived_at"])
    assert add(editor, lead, "after").status_code == 409
    # The list says so: nobody may change a note on an archived board.
    assert client_for(editor).get(notes_url(lead)).json()["results"][0]["may_edit"] is False
    changed = client_for(editor).patch(f"/api/notes/{note['id']}/", {"body": "x"}, format="json")
    assert changed.status_code == 409
    assert client_for(editor).get(notes_url(lead)).status_code == 200


def test_each_write_is_one_stored_event_shaped_by_the_schema(lead, editor, owner):
    note = add(editor, lead, "hi @olivia").json()
    client_for(editor).patch(f"/api/notes/{note['id']}/", {"body": "hi again"}, format="json")
    client_for(editor).delete(f"/api/notes/{note['id']}/")
    rows = BoardEvent.objects.filter(type__startswith="note.").order_by("seq")
    assert [row.type for row in rows] == ["note.created", "note.updated", "note.deleted"]
    for row in rows:
        message = {"type": row.type, "seq": row.seq, "at": row.at, **row.payload}
        stored_event_adapter.validate_python(json.loads(json.dumps(message, default=str)))
    created = rows[0].payload["note"]
    assert created["mentions"] == [owner.pk] and created["author"]["id"] == editor.pk
    assert rows[1].payload["note"]["mentions"] == [] and rows[1].payload["note"]["edited_at"]


def test_mentions_notify_the_newly_mentioned_only(lead, editor, owner, viewer):
    note = add(editor, lead, "@olivia see this, @dana too").json()
    # The author mentioning themselves is not told; the owner is, once.
    assert list(Notification.objects.values_list("user_id", "kind")) == [(owner.pk, "mention")]
    told = Notification.objects.get()
    assert told.lead_id == lead.pk and told.actor_id == editor.pk
    assert told.text == "Dana Sales mentioned you on Ada Lovelace (Acme)"

    client_for(editor).patch(
        f"/api/notes/{note['id']}/", {"body": "@olivia and now @vic"}, format="json"
    )
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(
        [owner.pk, viewer.pk]
    )


def test_a_refused_mention_writes_nothing(lead, editor, owner):
    seq = BoardEvent.objects.count()
    assert add(editor, lead, "@olivia @nobody").status_code == 400
    assert BoardEvent.objects.count() == seq
    assert not Notification.objects.exists()


def test_an_author_made_viewer_may_no_longer_change_their_note(board, lead, editor, owner):
    from leads.services.people import member_update

    note = add(editor, lead, "mine").json()
    member_update(board_id=board.pk, actor=owner, user_id=editor.pk, role="viewer")
    assert client_for(editor).get(notes_url(lead)).json()["results"][0]["may_edit"] is False
    changed = client_for(editor).patch(f"/api/notes/{note['id']}/", {"body": "x"}, format="json")
    assert changed.status_code == 403
