"""Presence has a lease: a process that dies without saying goodbye loses its
users everywhere else within WS_PRESENCE_TTL (+ one interval).

A second ``Hub`` on the same layer stands in for another process; "killing" it
cancels its feed's tasks without any "left", as SIGKILL would.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from funnel.realtime.feed import Hub, Presence, hub
from leads.events import encode
from tests.funnel.conftest import join, settle

from .test_fanout import Inbox, person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_lease(settings):
    settings.WS_PRESENCE_INTERVAL = 0.1
    settings.WS_PRESENCE_TTL = 0.4


def kill(process: Hub) -> None:
    for feed in process.feeds.values():
        for task in [*feed._tasks, *feed.background]:
            task.cancel()


async def test_a_dead_process_loses_its_users_within_the_lease(board, owner, short_lease):
    socket, _ = await join(board.pk, owner)
    other, inbox = Hub(), Inbox()
    ines = person(9001, "ines")
    subscription = await other.join(board.pk, ines, send=inbox.send, resync=inbox.resync)
    subscription.start(encode({"type": "hello"}), after_seq=0)
    assert await socket.receive_json_from() == {"type": "presence.joined", "user": ines}

    # It keeps renewing its lease: Ines stays present past the TTL.
    await asyncio.sleep(0.8)
    assert {p["id"] for p in hub().feeds[board.pk].presence.snapshot()} == {owner.pk, 9001}
    assert await socket.receive_nothing(timeout=0.05)

    kill(other)
    killed = time.monotonic()
    assert await socket.receive_json_from(timeout=2) == {"type": "presence.left", "user": ines}
    assert time.monotonic() - killed <= 0.4 + 0.1 + 0.2
    assert [p["id"] for p in hub().feeds[board.pk].presence.snapshot()] == [owner.pk]
    # A newcomer's hello no longer lists her.
    second, hello = await join(board.pk, owner)
    assert [p["id"] for p in hello["presence"]] == [owner.pk]
    await socket.disconnect()
    await second.disconnect()


async def test_a_lost_left_is_healed_by_the_next_renewal(board, owner, short_lease):
    socket, _ = await join(board.pk, owner)
    other, inbox = Hub(), Inbox()
    ines = person(9001, "ines")
    subscription = await other.join(board.pk, ines, send=inbox.send, resync=inbox.resync)
    subscription.start(encode({"type": "hello"}), after_seq=0)
    assert (await socket.receive_json_from())["type"] == "presence.joined"
    # The other process forgets Ines without telling anyone (its "left" was lost),
    # yet keeps one socket of someone else, so it stays alive.
    bob = person(9002, "bob")
    bobs = await other.join(board.pk, bob, send=inbox.send, resync=inbox.resync)
    bobs.start(encode({"type": "hello"}), after_seq=0)
    assert (await socket.receive_json_from())["user"] == bob
    other.feeds[board.pk].presence.local.pop(9001)

    assert await socket.receive_json_from(timeout=2) == {"type": "presence.left", "user": ines}
    await settle()
    assert {p["id"] for p in hub().feeds[board.pk].presence.snapshot()} == {owner.pk, 9002}
    await socket.disconnect()


def test_expire_drops_silent_origins_only():
    presence = Presence()
    ada, bob = person(1, "ada"), person(2, "bob")
    presence.remote_replace([ada], "p1")
    presence.remote_replace([ada, bob], "p2")
    presence.heard("p1", 1, now=10.0)
    presence.heard("p2", 2, now=20.0)
    assert presence.remote_sockets() == 3

    assert presence.expire(before=15.0) == []  # Ada is still on p2
    assert presence.expire(before=25.0) == [ada, bob]
    assert presence.snapshot() == [] and presence.remote_sockets() == 0


def test_present_replaces_what_an_origin_had():
    presence = Presence()
    ada, bob = person(1, "ada"), person(2, "bob")
    presence.remote_replace([ada, bob], "p1")
    assert presence.remote_replace([bob], "p1") == [ada]
    assert presence.snapshot() == [bob]
