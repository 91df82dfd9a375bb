"""Notifications: each trigger tells exactly the right people (never the actor,
members only), an overdue lead at most once a day, the read API, and the daily
digest through a real SMTP server, only for those who asked for it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from leads.models import Lead, Notification, Role, Team
from leads.services import board_member_add, lead_create, lead_feedback_record, lead_update
from leads.services.notifications import digests_send, overdue_notify
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.smtp import Mailbox, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(board, owner):
    user = UserFactory(username="mia", first_name="Mia", last_name="Market", email="mia@x.test")
    board_member_add(
        board_id=board.pk, actor=owner, username="mia", role=Role.EDITOR, team=Team.MARKETING
    )
    return user


def told(kind: str | None = None) -> list[tuple[int, str]]:
    rows = Notification.objects.order_by("user_id", "id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("user_id", "kind"))


def test_a_lead_assigned_to_someone_else_tells_them_once(board, owner, editor, stages):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", owner=editor)
    assert told() == [(editor.pk, "assigned")]
    row = Notification.objects.get()
    assert row.lead_id == lead.pk and row.actor_id == owner.pk and row.board_id == board.pk
    assert row.text == "Olivia Owner assigned Ada to you"
    # Other changes tell nobody; assigning to oneself tells nobody; a new owner is told.
    lead_update(lead_id=lead.pk, actor=owner, value=100)
    lead_update(lead_id=lead.pk, actor=owner, owner=owner)
    assert told() == [(editor.pk, "assigned")]
    lead_update(lead_id=lead.pk, actor=owner, owner=editor)
    assert told() == [(editor.pk, "assigned"), (editor.pk, "assigned")]
    # Unassigning tells nobody.
    lead_update(lead_id=lead.pk, actor=owner, owner=None)
    assert len(told()) == 2


def test_an_owner_who_is_no_member_is_not_told(board, owner, outsider, stages):
    lead_create(board_id=board.pk, actor=owner, name="Ada", owner=outsider)
    assert told() == []


def test_a_verdict_tells_marketing_and_the_leads_owner_not_the_actor(
    board, owner, editor, viewer, marketer, stages
):
    sales2 = UserFactory(username="sam")
    board_member_add(
        board_id=board.pk, actor=owner, username="sam", role=Role.EDITOR, team=Team.SALES
    )
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", owner=sales2)
    Notification.objects.all().delete()
    lead_feedback_record(lead_id=lead.pk, actor=editor, verdict="rejected", reason="No budget")
    # The marketing member and the lead's owner; the owner of the board is in
    # management, the viewer too, the actor never.
    assert told() == sorted([(marketer.pk, "verdict"), (sales2.pk, "verdict")])
    row = Notification.objects.get(user=marketer)
    assert row.text == "Dana Sales rejected Ada: No budget"

    # A marketer who is the lead's owner and also judges is not told of their own verdict.
    Notification.objects.all().delete()
    Lead.objects.filter(pk=lead.pk).update(owner=marketer)
    lead_feedback_record(lead_id=lead.pk, actor=owner, verdict="accepted")
    assert told() == [(marketer.pk, "verdict")]


def test_overdue_leads_tell_their_owner_once_a_day(board, owner, editor, stages):
    stages.MQL.sla_days = 2
    stages.MQL.save()
    now = timezone.localtime().replace(hour=10)  # a morning: +30 min is the same day
    late = lead_create(
        board_id=board.pk, actor=editor, name="Late", owner=editor, stage_id=stages.MQL.pk
    )
    fresh = lead_create(
        board_id=board.pk, actor=editor, name="Fresh", owner=editor, stage_id=stages.MQL.pk
    )
    unowned = lead_create(board_id=board.pk, actor=editor, name="Nobody's", stage_id=stages.MQL.pk)
    Lead.objects.filter(pk__in=[late.pk, unowned.pk]).update(
        stage_entered_at=now - dt.timedelta(days=3, minutes=1)
    )
    Lead.objects.filter(pk=fresh.pk).update(stage_entered_at=now - dt.timedelta(days=2, hours=23))

    assert overdue_notify(now=now) == 1
    row = Notification.objects.get()
    assert (row.user_id, row.kind, row.lead_id) == (editor.pk, "overdue", late.pk)
    assert row.key == f"overdue:{late.pk}:{timezone.localdate(now).isoformat()}"
    assert row.text == "Late has been in MQL for 3 days (SLA 2)"
    # Again the same day: nothing more; the next day: once more.
    assert overdue_notify(now=now + dt.timedelta(minutes=30)) == 0
    assert Notification.objects.count() == 1
    # The next day: once more each (the fresh one is late by then too).
    assert overdue_notify(now=now + dt.timedelta(days=1)) == 2
    assert Notification.objects.filter(lead=late).count() == 2


def test_the_read_api(board, owner, editor, stages):
    leads = [
        lead_create(board_id=board.pk, actor=owner, name=f"L{i}", owner=editor) for i in range(3)
    ]
    api = client_for(editor)
    listed = api.get("/api/notifications/").json()
    assert listed["unread"] == 3 and listed["count"] == 3 and listed["digest"] is False
    first = listed["results"][0]
    assert first["lead"] == leads[2].pk  # newest first
    assert first["url"] == f"/boards/{board.pk}/?lead={leads[2].pk}"
    assert first["read"] is False and first["actor"]["id"] == owner.pk

    answer = api.post("/api/notifications/read/", {"ids": [first["id"]]}, format="json")
    assert answer.json() == {"unread": 2}
    assert api.get("/api/notifications/?unread=1").json()["count"] == 2
    # Someone else's ids are ignored; "all" reads the rest.
    other = client_for(owner).post("/api/notifications/read/", {"all": True}, format="json")
    assert other.json() == {"unread": 0}
    assert api.get("/api/notifications/").json()["unread"] == 2
    assert api.post("/api/notifications/read/", {"all": True}, format="json").json() == {
        "unread": 0
    }
    bad = api.post("/api/notifications/read/", {}, format="json")
    assert bad.status_code == 400 and "ids" in bad.json()
    assert api.get("/api/notifications/?unread=yes").status_code == 400
    assert client_for(None).get("/api/notifications/").status_code in (401, 403)


@pytest.fixture
def mailbox(settings):
    with smtp_server() as box:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = box.host, box.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.SITE_URL = "https://board.example.com"
        yield box


def test_the_digest_goes_to_those_who_asked_over_smtp(board, owner, marketer, editor, mailbox):
    editor.email = "dana@x.test"
    editor.save()
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", owner=marketer)
    lead_create(board_id=board.pk, actor=owner, name="Bob", owner=editor)
    # Off by default: nobody gets mail.
    assert digests_send().sent == 0 and mailbox.messages == []

    toggled = client_for(marketer).put(
        "/api/notifications/digest/", {"enabled": True}, format="json"
    )
    assert toggled.json() == {"enabled": True}
    assert client_for(marketer).get("/api/notifications/").json()["digest"] is True

    out = io.StringIO()
    call_command("send_digests", stdout=out)
    assert out.getvalue().strip() == "1 digest sent"
    message = mailbox.to("mia@x.test")
    assert message["Subject"] == "Funnelboard: 1 unread notification"
    body = Mailbox.body(message)
    assert "Olivia Owner assigned Ada to you" in body
    assert f"https://board.example.com/boards/{board.pk}/?lead={lead.pk}" in body
    assert [to for to, _ in mailbox.messages] == [["mia@x.test"]]  # not dana
    assert Notification.objects.get(user=marketer).emailed_at is not None
    # Never twice.
    assert digests_send().sent == 0
    # Off again: nothing.
    client_for(marketer).put("/api/notifications/digest/", {"enabled": False}, format="json")
    lead_create(board_id=board.pk, actor=owner, name="Cy", owner=marketer)
    assert digests_send().sent == 0


def test_no_digest_without_an_email_address(board, owner, editor):
    answer = client_for(editor).put("/api/notifications/digest/", {"enabled": True}, format="json")
    assert answer.status_code == 400 and "enabled" in answer.json()


def test_the_overdue_command_says_how_many_it_made(board, owner, editor, stages):
    stages.MQL.sla_days = 1
    stages.MQL.save()
    lead = lead_create(
        board_id=board.pk, actor=editor, name="Late", owner=editor, stage_id=stages.MQL.pk
    )
    Lead.objects.filter(pk=lead.pk).update(
        stage_entered_at=timezone.now() - dt.timedelta(days=2, minutes=1)
    )
    out = io.StringIO()
    call_command("notify_overdue", stdout=out)
    assert out.getvalue().strip() == "1 overdue notification made"
    call_command("notify_overdue", stdout=out)
    assert Notification.objects.filter(kind="overdue").count() == 1


def test_one_digest_carries_every_board_of_the_person(board, owner, marketer, mailbox):
    from leads.services import board_create

    client_for(marketer).put("/api/notifications/digest/", {"enabled": True}, format="json")
    # A board joined after turning the digest on counts too: the digest is the person's.
    other = board_create(name="Second board", created_by=owner)
    board_member_add(
        board_id=other.pk, actor=owner, username="mia", role=Role.EDITOR, team=Team.MARKETING
    )
    lead_create(board_id=board.pk, actor=owner, name="Ada", owner=marketer)
    lead_create(board_id=other.pk, actor=owner, name="Bob", owner=marketer)
    assert digests_send().sent == 1
    body = Mailbox.body(mailbox.to("mia@x.test"))
    assert "assigned Ada to you (Q4 Pipeline" in body
    assert "assigned Bob to you (Second board" in body
    assert len(mailbox.messages) == 1
