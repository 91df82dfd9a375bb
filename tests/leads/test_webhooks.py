"""Webhooks delivered to a real HTTP receiver on 127.0.0.1 by the queued tasks: signed
as Standard Webhooks sign (a receiver verifies with the ``standardwebhooks`` library),
in seq order, retried after failures, nothing lost while the receiver is down; one
task per webhook enqueued when the events commit."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from leads.errors import InvalidInput
from leads.integrations.webhook_delivery import (
    LEGACY_SIGNATURE_HEADER,
    legacy_signature_valid,
    secret_standard,
    webhook_deliver,
)
from leads.models import DeliveryStatus, Webhook, WebhookDelivery
from leads.services import board_create, lead_create, lead_move
from leads.services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_insert,
    webhook_set_active,
)
from tests.conftest import client_for
from tests.webhook_rig import Receiver, ready_tasks, run_tasks, time_passes

SECRET = "s3cret"  # a plain secret, as webhooks made before Standard Webhooks have


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def verified(secret: str, headers: dict[str, str], body: bytes) -> dict:
    """What a receiver does with the standardwebhooks library: the parsed event, or
    ``WebhookVerificationError``."""
    return StandardWebhook(secret).verify(body, headers)


def test_events_are_delivered_signed_and_in_order(board, owner, stages, receiver):
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url)
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    result = run_tasks()
    assert result.delivered == 2
    assert receiver.seqs() == [board.last_seq + 1, board.last_seq + 2]
    headers, body = receiver.received[1]
    message = verified(webhook.secret, headers, body)
    assert (message["type"], message["lead"]["id"]) == ("lead.moved", lead.pk)
    assert headers["webhook-id"] == f"msg_{board.pk}_{message['seq']}"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["X-Funnelboard-Event"] == "lead.moved"
    webhook.refresh_from_db()
    assert webhook.delivered_seq == message["seq"]
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    assert run_tasks().delivered == 0  # nothing twice


def test_a_receiver_with_another_secret_or_a_changed_body_refuses(board, owner, receiver):
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url)
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    run_tasks()
    headers, body = receiver.received[0]
    other = webhook_create(board_id=board.pk, actor=owner, url=receiver.url).secret
    with pytest.raises(WebhookVerificationError):
        verified(other, headers, body)
    with pytest.raises(WebhookVerificationError):
        verified(webhook.secret, headers, body.replace(b"Ada", b"Eve"))
    # A replay is told by its id; one with a new timestamp but the old signature fails.
    with pytest.raises(WebhookVerificationError):
        stamp = str(int(headers["webhook-timestamp"]) + 1)
        verified(webhook.secret, {**headers, "webhook-timestamp": stamp}, body)


def test_new_secrets_are_in_the_whsec_form(board, owner):
    secret = webhook_create(board_id=board.pk, actor=owner, url="http://127.0.0.1:9/").secret
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert secret_standard(secret) == secret


def test_a_webhook_with_a_plain_secret_verifies_with_its_whsec_form(board, owner, receiver):
    """Webhooks made before: the key is the plain secret's bytes, which the receiver
    hands to its library as ``whsec_`` + base64 of them (README: migrating)."""
    webhook_create(board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET)
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    run_tasks()
    headers, body = receiver.received[0]
    converted = "whsec_" + base64.b64encode(SECRET.encode()).decode()
    assert secret_standard(SECRET) == converted
    assert verified(converted, headers, body)["type"] == "lead.created"
    # The deprecated header is still sent, as it always was.
    assert legacy_signature_valid(SECRET, body, headers[LEGACY_SIGNATURE_HEADER])
    assert not legacy_signature_valid("other", body, headers[LEGACY_SIGNATURE_HEADER])


def test_the_legacy_header_can_be_switched_off(board, owner, receiver, settings):
    settings.WEBHOOK_LEGACY_SIGNATURE = False
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET)
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    run_tasks()
    headers, body = receiver.received[0]
    assert LEGACY_SIGNATURE_HEADER not in headers
    assert verified(secret_standard(webhook.secret), headers, body)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("whsec_not base64!", "must be base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "holds 5"),
    ],
)
def test_a_malformed_whsec_secret_is_refused(board, owner, secret, problem):
    with pytest.raises(InvalidInput) as refused:
        webhook_create(board_id=board.pk, actor=owner, url="http://127.0.0.1:9/", secret=secret)
    assert refused.value.field == "secret" and problem in refused.value.detail
    assert not Webhook.objects.exists()


def test_retry_after_500_keeps_order(board, owner, receiver):
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET)
    for name in "abc":
        lead_create(board_id=board.pk, actor=owner, name=name)
    receiver.answers = [500]
    first = run_tasks()
    assert (first.delivered, first.failed) == (0, 1)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failing", 1, 500)
    # The retry is a task of its own, deferred to the delivery's next attempt.
    (retry,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert retry.args_kwargs == {"args": [webhook.pk], "kwargs": {}}
    assert retry.run_after == delivery.next_attempt_at
    # Not due yet: nothing is sent, later events wait behind the failing one.
    assert run_tasks().delivered == 0
    assert receiver.attempts == 1
    time_passes(6)
    second = run_tasks()
    assert second.delivered == 3
    assert receiver.seqs() == sorted(receiver.seqs()) and len(receiver.seqs()) == 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)


def test_a_down_receiver_loses_nothing(board, owner):
    port = free_port()
    webhook = webhook_create(
        board_id=board.pk, actor=owner, url=f"http://127.0.0.1:{port}/hook", secret=SECRET
    )
    lead_create(board_id=board.pk, actor=owner, name="a")
    lead_create(board_id=board.pk, actor=owner, name="b")
    result = run_tasks()
    assert result.failed == 1
    delivery = WebhookDelivery.objects.get()
    assert "Connect" in delivery.error
    webhook.refresh_from_db()
    assert webhook.delivered_seq == board.last_seq  # the cursor did not move
    receiver = Receiver(port)
    try:
        time_passes(3600)
        assert run_tasks().delivered == 2
        assert receiver.seqs() == [board.last_seq + 1, board.last_seq + 2]
    finally:
        receiver.close()


def test_event_type_filter_skips_others(board, owner, stages, receiver):
    webhook_create(
        board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET, events=["lead.moved"]
    )
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    result = run_tasks()
    assert (result.delivered, result.skipped) == (1, 1)
    assert [json.loads(body)["type"] for _, body in receiver.received] == ["lead.moved"]


# --- Enqueued on commit ---


def test_a_committed_event_enqueues_one_task_per_active_webhook(
    board, owner, django_capture_on_commit_callbacks
):
    first = webhook_create(board_id=board.pk, actor=owner, url="http://127.0.0.1:9/a")
    second = webhook_create(board_id=board.pk, actor=owner, url="http://127.0.0.1:9/b")
    paused = webhook_create(board_id=board.pk, actor=owner, url="http://127.0.0.1:9/c")
    webhook_set_active(board_id=board.pk, actor=owner, webhook_id=paused.pk, active=False)
    other_board = board_create(name="Other", created_by=owner)
    webhook_create(board_id=other_board.pk, actor=owner, url="http://127.0.0.1:9/d")
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead_create(board_id=board.pk, actor=owner, name="Ada")
    assert ready_tasks() == []  # nothing before the commit
    for callback in callbacks:
        callback()

    tasks = ready_tasks()
    assert sorted(task.args_kwargs["args"][0] for task in tasks) == [first.pk, second.pk]
    assert {task.task_path for task in tasks} == {webhook_deliver.module_path}


def test_a_task_waiting_to_start_takes_the_later_events_along(
    board, owner, receiver, django_capture_on_commit_callbacks
):
    """It reads the outbox when it starts: no second task for the same webhook. Once
    a task has started (claimed), the next event gets a task of its own."""
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        lead_create(board_id=board.pk, actor=owner, name="Ada")
    with django_capture_on_commit_callbacks(execute=True):
        lead_create(board_id=board.pk, actor=owner, name="Bob")
    (waiting,) = ready_tasks()
    DBTaskResult.objects.filter(pk=waiting.pk).update(status=TaskResultStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        lead_create(board_id=board.pk, actor=owner, name="Cy")
    (new,) = ready_tasks()
    assert new.pk != waiting.pk and new.args_kwargs["args"] == [webhook.pk]
    assert run_tasks(sweep=False).delivered == 3  # the new one delivers all three


def test_a_board_without_webhooks_costs_no_query_on_commit(
    board, owner, django_capture_on_commit_callbacks
):
    """The board row that gives the event its seq says it has no webhook
    (``Board.has_webhooks``): nothing to look up after the commit."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead_create(board_id=board.pk, actor=owner, name="Ada")
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    assert len(queries) == 0
    assert ready_tasks() == []


def test_a_board_has_webhooks_while_it_keeps_one(board, owner):
    def has_webhooks() -> bool:
        board.refresh_from_db()
        return board.has_webhooks

    assert not has_webhooks()
    first = webhook_insert(
        board_id=board.pk, actor=owner, url="https://a.example/", secret="", events=None
    )
    second = webhook_insert(
        board_id=board.pk, actor=owner, url="https://b.example/", secret="", events=None
    )
    webhook_set_active(board_id=board.pk, actor=owner, webhook_id=first.pk, active=False)
    assert has_webhooks()  # a paused one still has a cursor to move on
    webhook_delete(board_id=board.pk, actor=owner, webhook_id=first.pk)
    assert has_webhooks()
    webhook_delete(board_id=board.pk, actor=owner, webhook_id=second.pk)
    assert not has_webhooks()


def test_a_rolled_back_event_enqueues_nothing(board, owner, django_capture_on_commit_callbacks):
    webhook_create(board_id=board.pk, actor=owner, url="http://127.0.0.1:9/a")
    DBTaskResult.objects.all().delete()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lead_create(board_id=board.pk, actor=owner, name="Ada")  # its event stored
        raise RuntimeError("the service's transaction fails after the event")
    assert callbacks == [] and ready_tasks() == []


def test_resuming_a_webhook_enqueues_its_delivery(
    board, owner, receiver, django_capture_on_commit_callbacks
):
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url)
    webhook_set_active(board_id=board.pk, actor=owner, webhook_id=webhook.pk, active=False)
    lead_create(board_id=board.pk, actor=owner, name="Ada")  # stored while paused
    assert run_tasks(sweep=False).delivered == 0
    with django_capture_on_commit_callbacks(execute=True):
        webhook_set_active(board_id=board.pk, actor=owner, webhook_id=webhook.pk, active=True)
    assert [task.args_kwargs["args"] for task in ready_tasks()] == [[webhook.pk]]
    assert run_tasks(sweep=False).delivered == 1
    assert receiver.seqs() == [board.last_seq + 1]


class TestApi:
    def url(self, board):
        return f"/api/boards/{board.pk}/webhooks/"

    def test_create_list_deliveries_delete(self, board, owner, api, receiver):
        response = api.post(
            self.url(board), {"url": receiver.url, "events": ["lead.created"]}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["secret"].startswith("whsec_")  # generated, shown once
        listed = api.get(self.url(board)).json()
        assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
        lead_create(board_id=board.pk, actor=owner, name="Ada")
        run_tasks()
        headers, payload = receiver.received[0]
        assert verified(body["secret"], headers, payload)["type"] == "lead.created"
        log = api.get(f"{self.url(board)}{body['id']}/deliveries/").json()
        assert [(d["event_type"], d["status"]) for d in log["deliveries"]] == [
            ("lead.created", "delivered")
        ]
        assert api.delete(f"{self.url(board)}{body['id']}/").status_code == 204
        assert not Webhook.objects.exists()

    def test_refusals(self, board, api, viewer, outsider):
        assert api.post(self.url(board), {"url": "ftp://x"}, format="json").status_code == 400
        bad = api.post(self.url(board), {"url": "http://x.io", "events": ["nope"]}, format="json")
        assert bad.status_code == 400 and "events" in bad.json()
        secret = api.post(
            self.url(board), {"url": "http://x.io", "secret": "whsec_!"}, format="json"
        )
        assert secret.status_code == 400 and "secret" in secret.json()
        assert client_for(viewer).get(self.url(board)).status_code == 403
        created = client_for(viewer).post(self.url(board), {"url": "http://x.io"}, format="json")
        assert created.status_code == 403
        assert client_for(outsider).get(self.url(board)).status_code == 404
        assert api.delete(f"{self.url(board)}999/").status_code == 404
