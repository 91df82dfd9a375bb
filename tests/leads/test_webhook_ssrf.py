"""Webhooks may not point inside (SSRF): http(s) only, no credentials, and no host
that resolves to an internal address unless WEBHOOK_ALLOW_PRIVATE is on. Checked
when the webhook is made and again at every delivery (DNS may change between)."""

from __future__ import annotations

import socket

import httpx
import pytest
from asgiref.sync import async_to_sync
from standardwebhooks.webhooks import Webhook as StandardWebhook

from leads.errors import InvalidInput
from leads.integrations.webhook_delivery import deliver, secret_standard
from leads.models import DeliveryStatus, WebhookDelivery
from leads.services import lead_create
from leads.services.webhooks import webhook_create
from tests.webhook_rig import Receiver, run_tasks

PUBLIC = "93.184.215.14"  # a global address (example.com's, once)
REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def guarded(settings):
    """The production default: internal targets refused (the suite turns it off)."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def dns(monkeypatch):
    """``dns["name"] = "address"``: what a host resolves to, for this process
    (the delivering client resolves through the same ``socket.getaddrinfo``)."""
    table: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, bytes):  # the asynchronous client asks with bytes
            host = host.decode()
        if host in table:
            address = table[host]
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def post_webhook(api, board, url):
    return api.post(f"/api/boards/{board.pk}/webhooks/", {"url": url}, format="json")


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://hooks.example.com/in", "http"),
        ("file:///etc/passwd", ""),
        ("http://user:secret@hooks.example.com/in", "credentials"),
        ("http://token@hooks.example.com/in", "credentials"),
        ("http://127.0.0.1:8000/in", "loopback"),
        ("http://localhost/in", "loopback"),
        ("http://[::1]/in", "loopback"),
        ("http://[::ffff:127.0.0.1]/in", "loopback"),
        ("http://10.1.2.3/in", "private"),
        ("http://192.168.0.10/in", "private"),
        ("http://172.16.5.4/in", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://[fe80::1]/in", "link-local"),
        ("http://224.0.0.1/in", "multicast"),
        ("http://240.0.0.1/in", "reserved"),
        ("http://0.0.0.0/in", "unspecified"),
        ("http://100.64.0.1/in", "non-public"),  # carrier-grade NAT
        ("http://intranet.test/in", "private"),  # a name that resolves inside
    ],
)
def test_internal_or_odd_targets_are_a_400_naming_url(guarded, dns, api, board, url, reason):
    dns["intranet.test"] = "10.0.0.5"
    response = post_webhook(api, board, url)
    assert response.status_code == 400, response.content
    body = response.json()
    assert "url" in body
    assert reason in " ".join([body.get("detail", ""), *body["url"]])
    assert not board.webhooks.exists()


@pytest.mark.parametrize(
    "host, address, kind",
    [
        ("intranet.test", "10.0.0.5", "private"),
        ("metadata.test", "169.254.169.254", "link-local"),
        ("mapped.test", "::ffff:192.168.1.7", "private"),
    ],
)
def test_a_refusal_says_why_but_not_what_the_host_resolves_to(
    guarded, dns, api, board, host, address, kind
):
    """The answer would map the internal network for anyone allowed to make webhooks."""
    dns[host] = address
    response = post_webhook(api, board, f"https://{host}/in")
    assert response.status_code == 400
    text = response.content.decode()
    assert f"{host} points to a {kind} address" in text
    assert address not in text and address.rsplit(":", 1)[-1] not in text


@pytest.mark.parametrize("url", ["http://2130706433/in", "http://127.1/in", "http://0x7f.1/"])
def test_loopback_spelt_oddly_is_refused_by_the_service_too(guarded, board, owner, url):
    """The API's URL field already refuses these; the settings page or a script calls
    the service, which resolves them as the delivering client would: 127.0.0.1."""
    with pytest.raises(InvalidInput) as refused:
        webhook_create(board_id=board.pk, actor=owner, url=url)
    assert refused.value.field == "url" and "loopback" in refused.value.detail
    assert "127.0.0.1" not in refused.value.detail


def test_a_public_host_is_accepted(guarded, dns, api, board):
    dns["hooks.example.com"] = PUBLIC
    response = post_webhook(api, board, "https://hooks.example.com/in")
    assert response.status_code == 201, response.content


def test_internal_targets_are_accepted_when_the_setting_allows(api, board, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert post_webhook(api, board, "http://127.0.0.1:8000/in").status_code == 201
    assert post_webhook(api, board, "http://10.1.2.3/in").status_code == 201
    # Credentials and other schemes stay refused whatever the setting.
    assert post_webhook(api, board, "http://u:p@127.0.0.1/in").status_code == 400
    assert post_webhook(api, board, "ftp://127.0.0.1/in").status_code == 400


def test_delivery_is_refused_when_the_host_now_resolves_to_loopback(
    guarded, dns, board, owner, receiver
):
    # Public when the webhook was made; the name now points at this machine.
    dns["hooks.test"] = PUBLIC
    webhook = webhook_create(
        board_id=board.pk, actor=owner, url=f"http://hooks.test:{receiver.port}/hook"
    )
    dns["hooks.test"] = "127.0.0.1"
    lead_create(board_id=board.pk, actor=owner, name="Ada")

    result = run_tasks()

    assert (result.delivered, result.failed) == (0, 1)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.FAILING
    assert delivery.response_code is None and delivery.next_attempt_at is not None
    assert "hooks.test points to a loopback address" in delivery.error
    assert "127.0.0.1" not in delivery.error  # what an internal name resolves to stays unsaid
    assert "WEBHOOK_ALLOW_PRIVATE" in delivery.error
    webhook.refresh_from_db()
    assert webhook.delivered_seq == board.last_seq  # nothing skipped: retried later


def test_the_same_delivery_goes_through_when_the_setting_allows(
    dns, board, owner, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    dns["hooks.test"] = "127.0.0.1"
    webhook_create(
        board_id=board.pk, actor=owner, url=f"http://hooks.test:{receiver.port}/hook", secret="s"
    )
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    assert run_tasks().delivered == 1
    headers, body = receiver.received[0]
    assert StandardWebhook(secret_standard("s")).verify(body, headers)["type"] == "lead.created"


def test_an_unresolvable_host_is_accepted_then_refused_at_delivery(guarded, board, owner):
    webhook = webhook_create(board_id=board.pk, actor=owner, url="https://hooks.invalid/in")
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    assert run_tasks().failed == 1
    error = WebhookDelivery.objects.get(webhook=webhook).error
    assert error.startswith("Refused: hooks.invalid does not resolve")


def test_delivery_goes_to_the_address_that_was_checked(guarded, dns, board, owner):
    """No second lookup for a changed answer to slip through: the request is sent to
    the checked address, with the URL's host in the Host header and as TLS name."""
    dns["hooks.test"] = PUBLIC
    webhook = webhook_create(
        board_id=board.pk, actor=owner, url="https://hooks.test:8443/in?x=1", secret="s"
    )
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    tally = async_to_sync(deliver)(webhook.pk, transport=httpx.MockTransport(receive))
    assert tally.delivered == 1
    (request,) = sent
    assert str(request.url) == f"https://{PUBLIC}:8443/in?x=1"
    assert request.headers["Host"] == "hooks.test:8443"
    assert request.extensions["sni_hostname"] == "hooks.test"
    assert StandardWebhook(secret_standard("s")).verify(request.content, dict(request.headers))
