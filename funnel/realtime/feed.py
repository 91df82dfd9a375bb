"""Process-local fan-out: one channel-layer listener per board, many sockets.

Stock Channels makes every consumer a group member; on the in-memory layer
that costs O(N²) per event (~800 ms for 1,000 sockets, see MACHINE.md). Here
each process (one ``Hub`` per running event loop) keeps one ``BoardFeed`` per
board that has at least one local socket. The feed owns ONE layer channel in
``board_group(id)`` and one reader task; it hands each message's text, encoded
once by ``leads.events``, to every local ``Subscription``. A subscription is a
bounded queue drained by its own task, so a slow socket never holds up the
others: when its queue overflows it is told to resync (the consumer closes it
with 4408) instead of silently losing events.

Presence is kept per feed: the process's own sockets, counted per user, plus
what other processes announce through the group, keyed by their feed channel
(the *origin*) so one process leaving does not hide a user still connected
through another. Announcements carry the client text (encoded once) and the
structured fields the feeds need, so no feed ever parses or re-encodes them.

Layer messages on ``board_<id>`` (``origin`` is the sending feed's channel):
  ``{"type": "board.event", "text": ...}``  from ``leads.events.publish``;
  ``{"type": "board.presence", "op": "joined"|"left", "user", "text", "origin"}``
  when a user's first socket in a process opens or its last one closes;
  ``{"type": "board.presence", "op": "sync", "origin"}`` from a feed that just
  opened, which the other feeds answer on its channel with
  ``{"type": "board.presence", "op": "present", "users": [...], "origin"}``.
  ``{"type": "board.ephemeral", "text", "sender"}`` a client's ephemeral message
  (``meeting.follow``) for every socket of the board but the sender's.

Presence has a lease: every feed re-announces its users (op "present", which
*replaces* what the others hold for that origin) every ``WS_PRESENCE_INTERVAL``
seconds, and a feed drops an origin it has not heard from for
``WS_PRESENCE_TTL`` seconds. A process that dies without its "left" (SIGKILL,
a lost machine) so loses its users elsewhere within TTL + interval. Each
announcement also carries the origin's socket count for the board, which the
per-board connection cap adds up across processes.

Stored events reach the sockets in seq order: the feed releases them through a
``funnel.realtime.reorder.SeqOrder`` (an early one waits, briefly, for those before it).

One person's own messages (their notifications, ``leads.services.notifications``)
come through their group ``user_group(id)``: a ``UserFeed`` per person with a
socket in this process holds one layer channel in it, whatever boards their
sockets are on, and hands each text to those sockets only (``{"type":
"user.message", "text"}``, from ``leads.events.broadcast.publish_to_user``).

A share link's guest sees people by display name, never by username
(``leads.access.for_guest``): the feed makes each text's guest version once,
when it has guest sockets, and hands each socket the version it may see.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.clients import UNKNOWN
from funnel.realtime.numbers_push import NumbersPush
from funnel.realtime.reorder import SeqOrder
from leads.access import for_guest
from leads.events import LAYER_MESSAGE_TYPE, board_group, encode
from leads.events.broadcast import USER_MESSAGE_TYPE, user_group
from leads.events.schema import Person, PresenceJoined, PresenceLeft
from leads.models import Board

logger = logging.getLogger(__name__)

PRESENCE_MESSAGE_TYPE = "board.presence"
EPHEMERAL_MESSAGE_TYPE = "board.ephemeral"
# Texts a socket may have waiting before it counts as fallen behind.
DEFAULT_SEND_QUEUE_SIZE = 500

_keys = itertools.count(1)

Send = Callable[[str], Awaitable[None]]
Resync = Callable[[], Coroutine[Any, Any, None]]


# What a socket counts against, and the cap of each (per process, 0 = none).
QUOTAS = {
    "user": "WS_MAX_CONNECTIONS_PER_USER",
    "link": "WS_MAX_CONNECTIONS_PER_SHARE_LINK",
    "address": "WS_MAX_CONNECTIONS_PER_ADDRESS",
}
Quota = tuple[str, Any]  # (kind, user id / link id / client address)


class Refused(Exception):
    """A connection cap is reached (``WS_MAX_CONNECTIONS_PER_*``)."""


@database_sync_to_async
def board_seq(board_id: int) -> int | None:
    return Board.objects.filter(pk=board_id).values_list("last_seq", flat=True).first()


class Item(NamedTuple):
    """One text for a socket. ``seq`` is set for stored events only; ``presence``
    marks presence changes, which a hello's presence list already covers;
    ``guest_text`` is the text as a share link's guest may see it, when made."""

    seq: int | None
    text: str
    presence: bool = False
    guest_text: str | None = None


def guest_text(text: str) -> str:
    """``text`` without usernames (most texts have none: no parse for them)."""
    if '"username"' not in text:
        return text
    return encode(for_guest(json.loads(text)))


def stored_seq(text: str) -> int | None:
    """The seq of an encoded message (``None`` for an ephemeral one). Parsed once per
    message per process, never per socket."""
    try:
        seq = json.loads(text).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) else None


class Presence:
    """Who is on one board, as one process sees it."""

    def __init__(self) -> None:
        self.users: dict[int, dict[str, Any]] = {}
        self.local: dict[int, int] = {}  # user id -> open sockets in this process
        self.remote: dict[int, set[str]] = {}  # user id -> origins (other processes' feeds)
        self.origins: dict[str, set[int]] = {}  # origin -> its user ids
        self.sockets: dict[str, int] = {}  # origin -> its open sockets of the board
        self.seen: dict[str, float] = {}  # origin -> when it last spoke (monotonic)

    def present(self, user_id: int) -> bool:
        return user_id in self.local or bool(self.remote.get(user_id))

    def snapshot(self) -> list[dict[str, Any]]:
        return [user for user_id, user in self.users.items() if self.present(user_id)]

    def local_join(self, user: dict[str, Any]) -> bool:
        """Count a local socket; True when it is the user's first one here."""
        self.users[user["id"]] = user
        self.local[user["id"]] = self.local.get(user["id"], 0) + 1
        return self.local[user["id"]] == 1

    def local_leave(self, user_id: int) -> bool:
        """Uncount a local socket; True when it was the user's last one here."""
        left = self.local.get(user_id, 0) - 1
        if left > 0:
            self.local[user_id] = left
            return False
        self.local.pop(user_id, None)
        self._forget(user_id)
        return True

    def remote_join(self, user: dict[str, Any], origin: str) -> None:
        self.users[user["id"]] = user
        self.remote.setdefault(user["id"], set()).add(origin)
        self.origins.setdefault(origin, set()).add(user["id"])

    def remote_leave(self, user_id: int, origin: str) -> None:
        origins = self.remote.get(user_id)
        if origins is not None:
            origins.discard(origin)
            if not origins:
                del self.remote[user_id]
        users = self.origins.get(origin)
        if users is not None:
            users.discard(user_id)
        self._forget(user_id)

    def heard(self, origin: str, sockets: int | None, now: float) -> None:
        self.seen[origin] = now
        if sockets is not None:
            self.sockets[origin] = sockets

    def remote_replace(self, users: list[dict[str, Any]], origin: str) -> list[dict[str, Any]]:
        """Make ``users`` the whole of ``origin``'s; return those no longer present."""
        keep = {user["id"] for user in users}
        gone = [self.users[uid] for uid in self.origins.get(origin, set()) - keep]
        for user in gone:
            self.remote_leave(user["id"], origin)
        for user in users:
            self.remote_join(user, origin)
        return [user for user in gone if not self.present(user["id"])]

    def expire(self, before: float) -> list[dict[str, Any]]:
        """Drop the origins not heard from since ``before``; return who left with them."""
        left: list[dict[str, Any]] = []
        for origin in [o for o, at in self.seen.items() if at < before]:
            left += self.remote_replace([], origin)
            del self.seen[origin]
            self.origins.pop(origin, None)
            self.sockets.pop(origin, None)
        return left

    def remote_sockets(self) -> int:
        return sum(self.sockets.values())

    def _forget(self, user_id: int) -> None:
        if not self.present(user_id):
            self.users.pop(user_id, None)


class Subscription:
    """One socket on a board feed: a bounded queue of texts, drained in order by
    its own task once ``start`` has queued the hello.

    Texts that arrive before ``start`` wait in the queue; ``start`` drops the
    stored events the hello's seq already covers and the presence changes its
    presence list already shows, and sends the rest after the hello.
    """

    def __init__(
        self,
        feed: BoardFeed,
        user: dict[str, Any],
        send: Send,
        resync: Resync,
        *,
        quotas: list[Quota],
        guest: bool = False,
    ):
        self.feed = feed
        self.user = user
        self.quotas = quotas
        self.guest = guest
        self._send = send
        self._resync = resync
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=send_queue_size())
        self.stopped = False
        self.key = f"{feed.hub.name}#{next(_keys)}"  # unique across processes
        self._task: asyncio.Task[None] | None = None
        self.user_feed: UserFeed | None = None

    def presence(self) -> list[dict[str, Any]]:
        return self.feed.presence.snapshot()

    def start(self, hello: str, *, after_seq: int) -> None:
        """Send ``hello`` then everything queued with seq > ``after_seq``. Take the
        presence for the hello and call this with no ``await`` in between."""
        if self.stopped:
            return
        backlog = self.queue.qsize()
        self._task = asyncio.create_task(self._drain(hello, after_seq, backlog))

    def push(self, text: str) -> None:
        """A reply to this socket only (pong, error), in order after the hello."""
        self.offer(Item(None, text))

    def offer(self, item: Item) -> None:
        if self.stopped:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.fell_behind()

    def fell_behind(self) -> None:
        """Stop sending and have the consumer close the socket (the client heals
        from the event log). Runs in the feed's reader, so it must not wait."""
        self._stop()
        self.feed.spawn(self._resync())

    async def broadcast(self, text: str) -> None:
        """An ephemeral message (no seq) for the board's other sockets, in every
        process, through the layer group: encoded once, by the caller."""
        await self.feed.send_ephemeral(text, sender=self.key)

    async def leave(self) -> None:
        """Idempotent: the consumer calls it on every way out."""
        self._stop()
        await self.feed.hub.user_leave(self)
        await self.feed.remove(self)

    def _stop(self) -> None:
        self.stopped = True
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    async def _drain(self, hello: str, after_seq: int, backlog: int) -> None:
        try:
            await self._send(hello)
            while True:
                item = await self.queue.get()
                if backlog:
                    backlog -= 1
                    if item.presence:
                        continue
                # Also drops a stored event published late by a slow writer.
                if item.seq is not None and item.seq <= after_seq:
                    continue
                if self.guest:
                    text = item.guest_text if item.guest_text is not None else guest_text(item.text)
                else:
                    text = item.text
                await self._send(text)
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket is gone; its disconnect cleans up
            logger.info("sending to a board %s socket failed", self.feed.board_id, exc_info=True)
            self.stopped = True


def live_layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("The live board needs CHANNEL_LAYERS.")
    return layer


async def keep_in_group(layer: BaseChannelLayer, group: str, channel: str) -> None:
    """Layers drop group members after group_expiry (a day by default); a board
    left open on a wall screen outlives that: join again every half of it."""
    interval = getattr(layer, "group_expiry", 86400) / 2
    while True:
        await asyncio.sleep(interval)
        try:
            await layer.group_add(group, channel)
        except Exception:
            logger.warning("refreshing %s failed", group, exc_info=True)


class BoardFeed:
    """A board's one listener in this process and its local subscriptions."""

    def __init__(self, hub: Hub, board_id: int):
        self.hub = hub
        self.board_id = board_id
        self.group = board_group(board_id)
        self.layer = live_layer()
        self.channel = ""
        self.subscriptions: set[Subscription] = set()
        self.guests = 0  # subscriptions of share link guests
        self.pending = 0  # joins waiting for the feed to open
        self.order = SeqOrder(self.deliver)
        self.presence = Presence()
        self.opening: asyncio.Future[None] | None = None
        self.failed = False
        self.background: set[asyncio.Task[Any]] = set()
        self._publish_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.numbers = NumbersPush(board_id, self.send_to_all)

    @property
    def idle(self) -> bool:
        return not self.subscriptions and not self.pending

    async def open(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self._tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._keep()),
            asyncio.create_task(self._heartbeat()),
        ]
        # After the group_add: an event this read misses reaches the reader.
        self.order.start(await self._last_seq())
        # Ask the board's other feeds who is already there (they answer "present").
        await self._publish(
            lambda: {"type": PRESENCE_MESSAGE_TYPE, "op": "sync", "origin": self.channel}
        )
        if self.idle:  # every join that waited for us was cancelled
            await self.close()

    async def _last_seq(self) -> int | None:
        try:
            return await board_seq(self.board_id)
        except Exception:  # the board still works, in the order events come
            logger.warning("%s: no baseline seq; events unordered", self.group, exc_info=True)
            return None

    async def add(
        self, user: dict[str, Any], send: Send, resync: Resync, *, quotas: list[Quota], guest: bool
    ) -> Subscription:
        subscription = Subscription(self, user, send, resync, quotas=quotas, guest=guest)
        self.subscriptions.add(subscription)
        self.guests += guest
        self.hub.count(quotas, +1)
        if self.failed:  # the reader died while this socket was joining
            subscription.fell_behind()
        was_present = self.presence.present(user["id"])
        first_here = self.presence.local_join(user)
        text = encode(PresenceJoined(user=Person.model_validate(user)))
        if not was_present:
            self.deliver(Item(None, text, presence=True))
        if first_here:
            await self._announce("joined", user, text)
        return subscription

    async def remove(self, subscription: Subscription) -> None:
        if subscription not in self.subscriptions:
            return
        self.subscriptions.discard(subscription)
        self.guests -= subscription.guest
        user = subscription.user
        self.hub.count(subscription.quotas, -1)
        if self.presence.local_leave(user["id"]):
            text = encode(PresenceLeft(user=Person.model_validate(user)))
            if not self.presence.present(user["id"]):
                self.deliver(Item(None, text, presence=True))
            await self._announce("left", user, text)
        if self.idle:
            await self.close()

    def deliver(self, item: Item, *, sender: str | None = None) -> None:
        """Hand one text to every local socket (but ``sender``'s). No ``await``:
        nothing can join or leave half way, and no socket waits for another."""
        if self.guests and item.guest_text is None:
            item = item._replace(guest_text=guest_text(item.text))
        if sender is None:
            for subscription in self.subscriptions:
                subscription.offer(item)
        else:
            for subscription in self.subscriptions:
                if subscription.key != sender:
                    subscription.offer(item)

    async def close(self) -> None:
        if self.hub.feeds.get(self.board_id) is self:
            del self.hub.feeds[self.board_id]
        self.order.close()
        self.numbers.close()
        for task in self._tasks:
            task.cancel()
        if self.channel:
            try:
                await self.layer.group_discard(self.group, self.channel)
            except Exception:
                logger.warning("leaving %s failed", self.group, exc_info=True)

    def sockets(self) -> int:
        """Sockets of the board in every process, as last heard (see ``Hub.join``)."""
        return len(self.subscriptions) + self.pending + self.presence.remote_sockets()

    def receive(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == LAYER_MESSAGE_TYPE:
            text = message["text"]
            item = Item(stored_seq(text), text)
            if item.seq is None:
                self.deliver(item)
            else:
                self.order.offer(item)
                self.numbers.changed()
        elif kind == EPHEMERAL_MESSAGE_TYPE:
            self.deliver(Item(None, message["text"]), sender=message["sender"])
        elif kind == PRESENCE_MESSAGE_TYPE:
            if message["origin"] != self.channel:  # ours were counted when they happened
                self.receive_presence(message)
        else:
            logger.warning("%s: ignoring a layer message of type %r", self.group, kind)

    def receive_presence(self, message: dict[str, Any]) -> None:
        op, origin = message["op"], message["origin"]
        self.presence.heard(origin, message.get("sockets"), time.monotonic())
        if op == "sync":
            self.spawn(self._answer_sync(origin))
        elif op == "present":
            for user in message["users"]:
                if not self.presence.present(user["id"]):
                    text = encode(PresenceJoined(user=Person.model_validate(user)))
                    self.deliver(Item(None, text, presence=True))
            self.deliver_left(self.presence.remote_replace(message["users"], origin))
        else:
            user = message["user"]
            was_present = self.presence.present(user["id"])
            if op == "joined":
                self.presence.remote_join(user, origin)
            else:
                self.presence.remote_leave(user["id"], origin)
            if was_present != self.presence.present(user["id"]):
                self.deliver(Item(None, message["text"], presence=True))

    def deliver_left(self, users: list[dict[str, Any]]) -> None:
        for user in users:
            self.deliver(
                Item(None, encode(PresenceLeft(user=Person.model_validate(user))), presence=True)
            )

    async def _announce(self, op: str, user: dict[str, Any], text: str) -> None:
        await self._publish(
            lambda: {
                "type": PRESENCE_MESSAGE_TYPE,
                "text": text,
                "op": op,
                "user": user,
                "origin": self.channel,
                "sockets": len(self.subscriptions),
            }
        )

    def _present(self) -> dict[str, Any]:
        return {
            "type": PRESENCE_MESSAGE_TYPE,
            "op": "present",
            "users": [self.presence.users[user_id] for user_id in self.presence.local],
            "origin": self.channel,
            "sockets": len(self.subscriptions),
        }

    async def _answer_sync(self, origin: str) -> None:
        if self.presence.local:
            await self._publish(self._present, to=origin)

    async def send_to_all(self, text: str) -> None:
        """An ephemeral message of the server's for every socket of the board."""
        await self.send_ephemeral(text, sender="")

    async def send_ephemeral(self, text: str, *, sender: str) -> None:
        message = {"type": EPHEMERAL_MESSAGE_TYPE, "text": text, "sender": sender}
        try:
            await self.layer.group_send(self.group, message)
        except Exception:  # ephemeral: nothing to heal
            logger.warning("an ephemeral message on %s failed", self.group, exc_info=True)

    async def _heartbeat(self) -> None:
        """Renew this process's presence lease and expire the silent ones'."""
        interval, ttl = presence_interval(), presence_ttl()
        while True:
            await asyncio.sleep(interval)
            if self.presence.local:
                await self._publish(self._present)
            self.deliver_left(self.presence.expire(time.monotonic() - ttl))

    async def _publish(self, build: Callable[[], dict[str, Any]], *, to: str | None = None) -> None:
        # One at a time, so other processes see a user's joined before its left; the
        # message is built under the lock, so a "present" never predates a "joined".
        async with self._publish_lock:
            message = build()
            try:
                if to is None:
                    await self.layer.group_send(self.group, message)
                else:
                    await self.layer.send(to, message)
            except Exception:  # presence is ephemeral; the board still works
                logger.warning("presence on %s failed", self.group, exc_info=True)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _read(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Events may be lost from here on: every socket must resync.
                logger.exception("%s: the layer failed; closing its sockets", self.group)
                self.failed = True
                if self.hub.feeds.get(self.board_id) is self:
                    del self.hub.feeds[self.board_id]
                for subscription in list(self.subscriptions):
                    subscription.fell_behind()
                return
            try:
                self.receive(message)
            except Exception:
                logger.exception("%s: bad layer message %r", self.group, message)

    async def _keep(self) -> None:
        await keep_in_group(self.layer, self.group, self.channel)


class UserFeed:
    """One person's group in this process: their sockets here, on any board."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.group = user_group(user_id)
        self.layer = live_layer()
        self.channel = ""
        self.subscriptions: set[Subscription] = set()
        self.opening: asyncio.Future[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._keep())]

    async def _read(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # ephemeral: the bell reads the list on its next load
                logger.exception("%s: the layer failed", self.group)
                return
            if message.get("type") == USER_MESSAGE_TYPE:
                for subscription in list(self.subscriptions):
                    subscription.push(message["text"])
            else:
                logger.warning("%s: ignoring a layer message %r", self.group, message.get("type"))

    async def _keep(self) -> None:
        await keep_in_group(self.layer, self.group, self.channel)

    async def close(self) -> None:
        if self.opening is not None and not self.opening.done():
            self.opening.cancel()
        for task in self._tasks:
            task.cancel()
        if self.channel:
            try:
                await self.layer.group_discard(self.group, self.channel)
            except Exception:
                logger.warning("leaving %s failed", self.group, exc_info=True)


class Hub:
    """The board feeds of one process (one event loop), and its people's feeds."""

    def __init__(self) -> None:
        self.feeds: dict[int, BoardFeed] = {}
        self.users: dict[int, UserFeed] = {}
        # (kind, key) of QUOTAS -> this process's open sockets of it, on any board
        self.counts: dict[Quota, int] = {}
        self.name = f"{id(self):x}.{time.time_ns():x}"

    def count(self, quotas: list[Quota], step: int) -> None:
        for quota in quotas:
            count = self.counts.get(quota, 0) + step
            if count > 0:
                self.counts[quota] = count
            else:
                self.counts.pop(quota, None)

    def check(self, quotas: list[Quota]) -> None:
        for quota in quotas:
            cap = limit(QUOTAS[quota[0]])
            if cap and self.counts.get(quota, 0) >= cap:
                raise Refused(f"too many connections for this {quota[0]}")

    async def join(
        self,
        board_id: int,
        user: dict[str, Any],
        *,
        send: Send,
        resync: Resync,
        link: int | None = None,
        address: str = UNKNOWN,
    ) -> Subscription:
        """Subscribe a socket of ``user``, or of share link ``link``'s guest, from
        client ``address``. When this returns the board's group reaches the
        socket's queue: read the board's seq only after it.

        Raises ``Refused`` past a cap: ``WS_MAX_CONNECTIONS_PER_USER`` for a member,
        ``WS_MAX_CONNECTIONS_PER_SHARE_LINK`` for a guest (all guests of a link
        together), ``WS_MAX_CONNECTIONS_PER_ADDRESS`` (each counts this process's
        sockets, on any board; an unknown address has no cap), or
        ``WS_MAX_CONNECTIONS_PER_BOARD`` (the board's sockets in every process, as
        their last announcements tell).
        """
        quotas: list[Quota] = [("user", user["id"]) if link is None else ("link", link)]
        if address != UNKNOWN:
            quotas.append(("address", address))
        self.check(quotas)  # early: a refused socket opens no feed
        feed = self.feeds.get(board_id)
        if feed is None:
            feed = self.feeds[board_id] = BoardFeed(self, board_id)
            feed.opening = asyncio.ensure_future(feed.open())
        assert feed.opening is not None
        feed.pending += 1
        try:
            await asyncio.shield(feed.opening)
        except BaseException:
            feed.pending -= 1
            opened = feed.opening.done() and not feed.opening.cancelled()
            if opened and (feed.opening.exception() is not None or feed.idle):
                await feed.close()
            raise
        feed.pending -= 1
        per_board = limit("WS_MAX_CONNECTIONS_PER_BOARD")
        try:
            # Again: others may have joined while the feed opened. No await from
            # here to the count in ``feed.add``.
            self.check(quotas)
            if per_board and feed.sockets() >= per_board:
                raise Refused("too many connections on this board")
        except Refused:
            if feed.idle:
                await feed.close()
            raise
        subscription = await feed.add(user, send, resync, quotas=quotas, guest=link is not None)
        if link is None and isinstance(user["id"], int):
            await self.user_join(user["id"], subscription)
        return subscription

    async def user_join(self, user_id: int, subscription: Subscription) -> None:
        """The socket hears its person's own messages from here on."""
        feed = self.users.get(user_id)
        if feed is None:
            feed = self.users[user_id] = UserFeed(user_id)
            feed.opening = asyncio.ensure_future(feed.open())
        feed.subscriptions.add(subscription)
        subscription.user_feed = feed
        assert feed.opening is not None
        try:
            await asyncio.shield(feed.opening)
        except Exception:  # the board works without; notifications show on the next load
            logger.warning("joining %s failed", feed.group, exc_info=True)

    async def user_leave(self, subscription: Subscription) -> None:
        feed = subscription.user_feed
        if feed is None:
            return
        subscription.user_feed = None
        feed.subscriptions.discard(subscription)
        if not feed.subscriptions:
            if self.users.get(feed.user_id) is feed:
                del self.users[feed.user_id]
            await feed.close()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This process's hub. Keyed by event loop: a server runs one loop, while
    tests start a new one per test and must not inherit feeds from a dead loop."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found


def send_queue_size() -> int:
    return int(getattr(settings, "WS_SEND_QUEUE_SIZE", DEFAULT_SEND_QUEUE_SIZE))


def presence_interval() -> float:
    return float(getattr(settings, "WS_PRESENCE_INTERVAL", 5.0))


def presence_ttl() -> float:
    return float(getattr(settings, "WS_PRESENCE_TTL", 15.0))


def limit(name: str) -> int:
    """A connection cap from the settings; 0 means none."""
    return int(getattr(settings, name, 0) or 0)
