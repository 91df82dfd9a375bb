"""Sockets of the real-server tests: tickets, as a guest's browser gets one before
each (re)connect (``POST /api/ws-ticket/``, then ``?ticket=``), and close codes."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import websockets


def _post(url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(f"{url}/api/ws-ticket/", method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())["ticket"]


async def ticket(url: str, *, share: str | None = None, token: str | None = None) -> str:
    """A ticket from process ``url``, off the event loop (open sockets keep
    answering the server's pings meanwhile)."""
    headers = {"X-Share-Token": share} if share else {"Authorization": f"Token {token}"}
    return await asyncio.to_thread(_post, url, headers)


def ws_url(url: str, board: int, ticket: str | None = None) -> str:
    query = f"?ticket={ticket}" if ticket else ""
    return f"{url.replace('http', 'ws', 1)}/ws/boards/{board}/{query}"


async def close_code(socket) -> int | None:
    """Read until the server closes; its close code (``None`` if still open after 5 s)."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), 5)
    except websockets.ConnectionClosed:
        return socket.close_code
    except TimeoutError:
        return None
