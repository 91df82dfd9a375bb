"""HTTP through the ASGI application: the middleware chain and the view in one thread
(but the numbers' views, in threads of their own)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from rest_framework.authtoken.models import Token

from config.asgi import django_asgi_app
from tests.factories import LeadFactory


@pytest.mark.django_db(transaction=True)
async def test_a_move_through_the_asgi_stack_runs_in_one_thread(board, stages, owner, monkeypatch):
    """The middleware and the view see the same worker thread, not the event loop's:
    one hop per request (Django's handler hopped for each middleware)."""
    from leads.api import views

    lead = await database_sync_to_async(LeadFactory)(board=board, stage=stages.New)
    key = await database_sync_to_async(lambda: Token.objects.get_or_create(user=owner)[0].key)()
    threads: set[int] = set()
    original = views.LeadMoveApi.post

    def post(self, request, lead_id):
        threads.add(threading.get_ident())
        return original(self, request, lead_id)

    def middleware_seen(get_response):
        def middleware(request):
            threads.add(threading.get_ident())
            return get_response(request)

        return middleware

    monkeypatch.setattr(views.LeadMoveApi, "post", post)
    chain = django_asgi_app._middleware_chain
    monkeypatch.setattr(django_asgi_app, "_middleware_chain", middleware_seen(chain))
    body = json.dumps({"to_stage": stages.MQL.pk}).encode()
    communicator = HttpCommunicator(
        django_asgi_app,
        "POST",
        f"/api/leads/{lead.pk}/move/",
        body=body,
        headers=[
            (b"content-length", str(len(body)).encode()),
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Token {key}".encode()),
        ],
    )
    response = await communicator.get_response()
    assert response["status"] == 200, response["body"]
    assert json.loads(response["body"])["lead"]["stage"] == stages.MQL.pk
    assert len(threads) == 1 and threading.get_ident() not in threads


@pytest.mark.django_db(transaction=True)
async def test_a_view_of_the_numbers_runs_apart_from_the_shared_thread(
    board, stages, owner, monkeypatch
):
    """``/funnel/`` may wait for another process's computation: while it waits, a
    request of the shared thread (``/state/``, as a move) is answered; and its
    connections are given back, in its own thread, when it ends."""
    from config import handler
    from funnel import api as funnel_api
    from leads.api import views

    key = await database_sync_to_async(lambda: Token.objects.get_or_create(user=owner)[0].key)()
    state_answered = threading.Event()
    waited: list[bool] = []
    funnel_threads: list[int] = []
    funnel_view, state_view = funnel_api.BoardFunnelApi.get, views.BoardStateApi.get

    funnel_entered = threading.Event()

    def funnel(self, request, board_id):
        funnel_threads.append(threading.get_ident())
        funnel_entered.set()
        # Sharing the thread, /state/ could not run until this returned: 5 s, then False.
        waited.append(state_answered.wait(timeout=5))
        return funnel_view(self, request, board_id)

    def state(self, request, board_id):
        try:
            return state_view(self, request, board_id)
        finally:
            state_answered.set()

    monkeypatch.setattr(funnel_api.BoardFunnelApi, "get", funnel)
    monkeypatch.setattr(views.BoardStateApi, "get", state)
    closed: list[int] = []
    close_all = handler.connections.close_all
    monkeypatch.setattr(
        handler.connections,
        "close_all",
        lambda: closed.append(threading.get_ident()) or close_all(),
    )
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Token {key}".encode())]

    def get(path: str):
        return HttpCommunicator(django_asgi_app, "GET", path, headers=headers).get_response(
            timeout=20
        )

    waiting = asyncio.ensure_future(get(f"/api/boards/{board.pk}/funnel/"))
    assert await asyncio.to_thread(funnel_entered.wait, 5)  # its view is waiting
    state_response = await get(f"/api/boards/{board.pk}/state/")
    funnel_response = await waiting
    assert state_response["status"] == funnel_response["status"] == 200
    assert waited == [True]  # /state/ was answered while /funnel/ waited
    assert closed == funnel_threads
