"""The process-local fan-out: presence across processes, feeds opening and closing.

A second ``Hub`` on the same channel layer stands in for another server process.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import get_channel_layer

from funnel.realtime.feed import Hub, Presence, hub, stored_seq
from leads.events import LAYER_MESSAGE_TYPE, board_group, encode
from tests.funnel.conftest import join, settle

pytestmark = pytest.mark.django_db(transaction=True)


def person(user_id: int, name: str) -> dict:
    return {"id": user_id, "username": name, "name": name.title(), "team": "sales"}


class Inbox:
    """A fake socket for a hub of another process."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.resyncs = 0

    async def send(self, text: str) -> None:
        self.texts.append(text)

    async def resync(self) -> None:
        self.resyncs += 1

    def hooks(self) -> dict:
        return {"send": self.send, "resync": self.resync}

    def types(self) -> list[str]:
        return [json.loads(text)["type"] for text in self.texts]


async def test_presence_from_another_process(board, owner):
    socket, _ = await join(board.pk, owner)
    other = Hub()  # another server process on the same layer
    ines, inbox = person(9001, "ines"), Inbox()

    subscription = await other.join(board.pk, ines, send=inbox.send, resync=inbox.resync)
    subscription.start(encode({"type": "hello"}), after_seq=0)
    assert await socket.receive_json_from() == {"type": "presence.joined", "user": ines}
    await settle()
    # The other process asked who was already there when it opened its feed.
    there = other.feeds[board.pk].presence.snapshot()
    assert {p["id"] for p in there} == {owner.pk, ines["id"]}

    # Someone arriving here now finds Ines in the hello.
    second, hello = await join(board.pk, owner)
    assert {p["id"] for p in hello["presence"]} == {owner.pk, ines["id"]}

    await subscription.leave()
    assert await socket.receive_json_from() == {"type": "presence.left", "user": ines}
    assert await second.receive_json_from() == {"type": "presence.left", "user": ines}
    assert not other.feeds
    await socket.disconnect()
    await second.disconnect()


async def test_a_user_on_two_processes_stays_present_until_both_leave(board, owner):
    socket, _ = await join(board.pk, owner)
    ines = person(9001, "ines")
    here, there = Hub(), Hub()
    subs = [
        await process.join(board.pk, ines, send=Inbox().send, resync=Inbox().resync)
        for process in (here, there)
    ]
    assert (await socket.receive_json_from())["type"] == "presence.joined"

    await subs[0].leave()
    assert await socket.receive_nothing(timeout=0.2)
    await subs[1].leave()
    assert await socket.receive_json_from() == {"type": "presence.left", "user": ines}
    await socket.disconnect()


async def test_a_process_opening_a_feed_late_learns_who_is_there(board, owner, editor):
    other, inbox = Hub(), Inbox()
    subscription = await other.join(
        board.pk, person(9001, "ines"), send=inbox.send, resync=inbox.resync
    )
    subscription.start(encode({"type": "hello"}), after_seq=0)
    socket, hello = await join(board.pk, owner)  # this process opens its feed now
    await settle()

    assert {p["id"] for p in hub().feeds[board.pk].presence.snapshot()} == {owner.pk, 9001}
    # Ines arrived in the hello, or right after it.
    seen = {p["id"] for p in hello["presence"]}
    while not await socket.receive_nothing(timeout=0.05):
        seen.add((await socket.receive_json_from())["user"]["id"])
    assert seen == {owner.pk, 9001}
    assert inbox.types() == ["hello", "presence.joined"]
    await subscription.leave()
    await socket.disconnect()


async def test_every_process_gets_each_event_once(board, owner):
    socket, _ = await join(board.pk, owner)
    other, inboxes = Hub(), [Inbox(), Inbox()]
    for n, inbox in enumerate(inboxes):
        subscription = await other.join(
            board.pk, person(9001 + n, f"p{n}"), send=inbox.send, resync=inbox.resync
        )
        subscription.start(encode({"type": "hello"}), after_seq=0)
    await settle()
    for _ in range(2):
        await socket.receive_json_from()  # both arrive
    text = encode({"type": "lead.moved", "seq": 1, "lead": {"id": 1}})

    await get_channel_layer().group_send(
        board_group(board.pk), {"type": LAYER_MESSAGE_TYPE, "text": text}
    )
    await settle()

    assert await socket.receive_from() == text
    assert await socket.receive_nothing()
    assert [inbox.texts.count(text) for inbox in inboxes] == [1, 1]
    for subscription in list(other.feeds[board.pk].subscriptions):
        await subscription.leave()
    await socket.disconnect()


async def test_sockets_joining_together_open_one_feed(board):
    layer = get_channel_layer()
    group_add = layer.group_add
    calls = []

    async def slow_add(group, channel):
        if group == board_group(board.pk):  # each person's own group is joined too
            calls.append(channel)
        await asyncio.sleep(0.05)
        await group_add(group, channel)

    layer.group_add = slow_add
    joins = [
        hub().join(board.pk, person(n, f"p{n}"), send=Inbox().send, resync=Inbox().resync)
        for n in range(5)
    ]
    subscriptions = await asyncio.gather(*joins)

    assert len(calls) == 1
    assert len(hub().feeds[board.pk].subscriptions) == 5
    for subscription in subscriptions:
        await subscription.leave()
    assert not hub().feeds


async def test_a_hub_per_event_loop():
    here = hub()
    assert hub() is here
    elsewhere = await asyncio.to_thread(lambda: asyncio.run(_hub_of_new_loop()))
    assert elsewhere is not here


async def _hub_of_new_loop() -> Hub:
    return hub()


def test_presence_counts_sockets_and_origins():
    presence, ada = Presence(), person(1, "ada")
    assert presence.local_join(ada) is True
    assert presence.local_join(ada) is False
    presence.remote_join(ada, "elsewhere")
    assert presence.local_leave(1) is False
    assert presence.local_leave(1) is True
    assert presence.snapshot() == [ada]  # still there through the other process
    presence.remote_leave(1, "elsewhere")
    assert presence.snapshot() == []
    presence.remote_leave(1, "elsewhere")  # a repeated left is harmless
    assert not presence.present(1)


@pytest.mark.parametrize(
    ("text", "seq"),
    [
        ('{"type":"lead.moved","seq":7}', 7),
        ('{"type":"presence.joined","user":{}}', None),
        ("[]", None),
        ("not json", None),
    ],
)
def test_stored_seq(text, seq):
    assert stored_seq(text) == seq
