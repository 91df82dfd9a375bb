"""Socket tickets (``POST /api/ws-ticket/``): short-lived, single use, for whoever
asked, and nothing more: the socket still checks the board when it opens."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from funnel.models import ShareLink
from funnel.realtime.consumer import Close
from funnel.realtime.tickets import KEY_PREFIX
from tests.factories import BoardFactory
from tests.funnel.conftest import close_code, new_link, open_socket, ticket_answer, ws_ticket

pytestmark = pytest.mark.django_db(transaction=True)


async def hello_of(socket) -> dict:
    message = await socket.receive_json_from()
    assert message["type"] == "hello", message
    return message


async def test_a_member_ticket_opens_the_board_once(board, owner):
    answer = await ticket_answer(user=owner)
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"ticket", "expires_in"} and body["expires_in"] == 30
    assert len(body["ticket"]) >= 40

    socket = await open_socket(board.pk, ticket=body["ticket"])
    assert (await hello_of(socket))["you"]["id"] == owner.pk
    # Used: the same ticket opens nothing, even while the first socket is open.
    again = await open_socket(board.pk, ticket=body["ticket"])
    assert await close_code(again) == Close.UNAUTHENTICATED
    await socket.disconnect()


async def test_a_ticket_races_itself_and_only_one_socket_gets_in(board, owner):
    ticket = await ws_ticket(user=owner)
    sockets = await asyncio.gather(*(open_socket(board.pk, ticket=ticket) for _ in range(5)))
    outcomes = []
    for socket in sockets:
        first = await socket.receive_output(1)
        if first["type"] == "websocket.send":
            outcomes.append(json.loads(first["text"])["type"])
        else:
            outcomes.append(first.get("code"))
        await socket.disconnect()
    assert sorted(outcomes, key=str) == [Close.UNAUTHENTICATED] * 4 + ["hello"]


async def test_an_expired_ticket_is_refused(board, owner, settings):
    settings.WS_TICKET_TTL = 0.3
    ticket = await ws_ticket(user=owner)
    await asyncio.sleep(0.5)
    socket = await open_socket(board.pk, ticket=ticket)
    assert await close_code(socket) == Close.UNAUTHENTICATED


@pytest.mark.parametrize("ticket", ["", "nope", "x" * 500])
async def test_an_unknown_ticket_is_refused(board, ticket):
    socket = await open_socket(board.pk, ticket=ticket)
    assert await close_code(socket) == Close.UNAUTHENTICATED


async def test_a_ticket_is_no_membership(board, outsider):
    """The ticket says who, not where: an outsider's opens no board of others."""
    socket = await open_socket(board.pk, ticket=await ws_ticket(user=outsider))
    assert await close_code(socket) == Close.NOT_FOUND


async def test_a_ticket_of_a_user_deactivated_since_is_refused(board, editor):
    ticket = await ws_ticket(user=editor)
    await database_sync_to_async(type(editor).objects.filter(pk=editor.pk).update)(is_active=False)
    socket = await open_socket(board.pk, ticket=ticket)
    assert await close_code(socket) == Close.UNAUTHENTICATED


async def test_a_guest_ticket_opens_its_links_board_only(board, owner):
    link, token = await new_link(board, owner)
    socket = await open_socket(board.pk, ticket=await ws_ticket(share=token))
    hello = await hello_of(socket)
    assert hello["you"]["id"] == f"share-{link.pk}" and hello["you"]["role"] == "viewer"
    await socket.disconnect()

    other = await database_sync_to_async(BoardFactory)(name="Other", created_by=owner)
    elsewhere = await open_socket(other.pk, ticket=await ws_ticket(share=token))
    assert await close_code(elsewhere) == Close.NOT_FOUND


async def test_a_guest_ticket_of_a_link_revoked_since_closes_4410(board, owner):
    link, token = await new_link(board, owner)
    ticket = await ws_ticket(share=token)
    await database_sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(
        revoked_at=timezone.now()
    )
    socket = await open_socket(board.pk, ticket=ticket)
    assert await close_code(socket) == Close.SHARE_ENDED


async def test_a_guest_ticket_keeps_its_links_expiry(board, owner):
    _, token = await new_link(board, owner, expires_at=timezone.now() + timedelta(seconds=1))
    socket = await open_socket(board.pk, ticket=await ws_ticket(share=token))
    await hello_of(socket)
    assert await close_code(socket, within=5) == Close.SHARE_ENDED


async def test_a_revoked_or_expired_link_gets_no_ticket(board, owner):
    _, revoked = await new_link(board, owner, revoked_at=timezone.now())
    _, expired = await new_link(board, owner, expires_at=timezone.now() - timedelta(seconds=1))
    for token in (revoked, expired):
        answer = await ticket_answer(share=token)
        assert answer.status_code in (401, 403)
        assert "revoked or has expired" in answer.json()["detail"]


def ticket_keys() -> set[str]:
    """The cache's keys of tickets (in process, or on Redis)."""
    if settings.REDIS_URL:
        client = cache._cache.get_client()
        return {key.decode() for key in client.scan_iter(match=f"*{KEY_PREFIX}*")}
    return {key for key in cache._cache if KEY_PREFIX in key}


def test_nobody_gets_a_ticket_without_credentials(db):
    before = ticket_keys()
    answer = Client().post("/api/ws-ticket/")
    assert answer.status_code in (401, 403)
    assert answer.json()["detail"]
    assert ticket_keys() == before


def test_a_session_needs_its_csrf_token(db, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/api/ws-ticket/").status_code == 403
    client.get("/")  # the board list sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    answer = client.post("/api/ws-ticket/", headers={"X-CSRFToken": csrf})
    assert answer.status_code == 201 and answer.json()["ticket"]


def test_only_a_post_makes_a_ticket(db, owner):
    client = Client()
    client.force_login(owner)
    assert client.get("/api/ws-ticket/").status_code == 405


def test_the_cache_holds_no_usable_ticket(db, owner):
    client = Client()
    client.force_login(owner)
    before = ticket_keys()
    ticket = client.post("/api/ws-ticket/").json()["ticket"]
    (key,) = ticket_keys() - before
    assert ticket not in key


def test_the_schema_documents_the_ticket(db, owner):
    client = Client()
    client.force_login(owner)
    schema = client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/ws-ticket/"]["post"]
    assert {"201", "403"} <= set(post["responses"])
    ref = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(component["required"]) == {"ticket", "expires_in"}
    assert {"shareLink"} <= {name for item in post["security"] for name in item}
