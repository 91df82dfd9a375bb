"""Webhooks delivered to a real HTTP receiver on 127.0.0.1: signed, in seq order,
retried after failures, nothing lost while the receiver is down."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
from django.utils import timezone

from leads.models import DeliveryStatus, Webhook, WebhookDelivery
from leads.services import lead_create, lead_move
from leads.services.bridge import webhook_create
from leads.webhooks import SIGNATURE_HEADER, signature_valid, webhooks_deliver_due
from tests.conftest import client_for
from tests.webhook_rig import Receiver

SECRET = "s3cret"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_events_are_delivered_signed_and_in_order(board, owner, stages, receiver):
    webhook = webhook_create(board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET)
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    result = webhooks_deliver_due()
    assert result.delivered == 2
    assert receiver.seqs() == [board.last_seq + 1, board.last_seq + 2]
    headers, body = receiver.received[1]
    assert signature_valid(SECRET, body, headers[SIGNATURE_HEADER])
    assert not signature_valid("other", body, headers[SIGNATURE_HEADER])
    message = json.loads(body)
    assert (message["type"], message["lead"]["id"]) == ("lead.moved", lead.pk)
    assert headers["X-Funnelboard-Event"] == "lead.moved"
    webhook.refresh_from_db()
    assert webhook.delivered_seq == message["seq"]
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    assert webhooks_deliver_due().delivered == 0  # nothing twice


def test_retry_after_500_keeps_order(board, owner, receiver):
    webhook_create(board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET)
    for name in "abc":
        lead_create(board_id=board.pk, actor=owner, name=name)
    receiver.answers = [500]
    first = webhooks_deliver_due()
    assert (first.delivered, first.failed) == (0, 1)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failing", 1, 500)
    assert delivery.next_attempt_at > timezone.now()
    # Not due yet: nothing is sent, later events wait behind the failing one.
    assert webhooks_deliver_due().delivered == 0
    assert receiver.received == []
    second = webhooks_deliver_due(later(1))
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
    result = webhooks_deliver_due()
    assert result.failed == 1
    delivery = WebhookDelivery.objects.get()
    assert "Connect" in delivery.error
    webhook.refresh_from_db()
    assert webhook.delivered_seq == board.last_seq  # the cursor did not move
    receiver = Receiver(port)
    try:
        assert webhooks_deliver_due(later(60)).delivered == 2
        assert receiver.seqs() == [board.last_seq + 1, board.last_seq + 2]
    finally:
        receiver.close()


def test_event_type_filter_skips_others(board, owner, stages, receiver):
    webhook_create(
        board_id=board.pk, actor=owner, url=receiver.url, secret=SECRET, events=["lead.moved"]
    )
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    result = webhooks_deliver_due()
    assert (result.delivered, result.skipped) == (1, 1)
    assert [json.loads(body)["type"] for _, body in receiver.received] == ["lead.moved"]


class TestApi:
    def url(self, board):
        return f"/api/boards/{board.pk}/webhooks/"

    def test_create_list_deliveries_delete(self, board, owner, api, receiver):
        response = api.post(
            self.url(board), {"url": receiver.url, "events": ["lead.created"]}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert len(body["secret"]) == 64  # generated, shown once
        listed = api.get(self.url(board)).json()
        assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
        lead_create(board_id=board.pk, actor=owner, name="Ada")
        webhooks_deliver_due()
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
        assert client_for(viewer).get(self.url(board)).status_code == 403
        created = client_for(viewer).post(self.url(board), {"url": "http://x.io"}, format="json")
        assert created.status_code == 403
        assert client_for(outsider).get(self.url(board)).status_code == 404
        assert api.delete(f"{self.url(board)}999/").status_code == 404
