"""The live board socket ``/ws/boards/<id>/``: authenticate, join, relay.

On connect the server sends ``{"type": "hello", "seq": N, "presence": [...],
"you": {...}}`` and then every stored event with seq > N, as the text
``leads.events`` encoded, plus ephemeral presence changes (no seq). The socket
joins the board's feed before it reads N, so nothing published around the
hello is lost or sent twice (see ``funnel.realtime.feed``).

From the client the socket takes ``{"type": "ping"}`` (answered with
``{"type": "pong"}``) and, from editors and owners, ``{"type": "meeting.follow",
"view": {...}}``, relayed as it is (plus ``actor``) to the board's other sockets
in every process, with no seq; writes go through REST. A message that is not a
JSON object closes the socket (4400, a client bug); a JSON object of an unknown
type, a viewer's follow or a view over ``WS_MAX_FOLLOW_BYTES`` is answered with
``{"type": "error", "detail": ...}`` and the socket stays open, so a newer
client does not lose its board on an older server. Each socket may send
``WS_MESSAGE_RATE`` messages a second on average, ``WS_MESSAGE_BURST`` at once
(a token bucket); past that it is closed with 4429. Connection caps per user,
per share link, per client address and per board (``WS_MAX_CONNECTIONS_PER_*``,
see ``funnel.realtime.feed.Hub.join``) close a new socket with 4429.

A socket opened by a read-only share link's guest (a ticket of the link, or
``X-Share-Token``; see ``funnel.realtime.auth``) sees its link's board as a viewer, and
people by display name only (no ``username`` anywhere, see ``funnel.realtime.feed``);
it appears in presence as one "Guest" per link, and closes with 4410 as soon as
the link stops working: at once when it is revoked (``funnel.sharing`` announces
``{"type": "share.revoked", "link": id}`` to every process; only the sockets of
that link act on it), when it expires, and, should an announcement be lost, at
its next check of the link (``WS_SHARE_RECHECK`` seconds).

A member's socket follows the member events about them: ``member.updated``
gives it the new rights at once (``may_edit``), and ``member.removed`` is sent
and then the socket closes with 4403 (the page says "You were removed from this
board"); a new socket of theirs is refused with 4404.

A member's socket also hears its person's own messages, whatever board it is
on: joining the board (``Hub.join``) joins it to the person's group
``user_<id>`` too, where ``leads.services.notifications`` sends each new
``notification`` with their unread count. A share link's socket joins none.

Every message the socket sends has its one typed definition in
``leads.events.schema`` (served as JSON Schema at ``/api/events/schema/``); the
close codes below are written into the front end's build with it
(``manage.py event_contract``).
"""

from __future__ import annotations

import asyncio
import json
import time
from enum import IntEnum
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from config.clients import scope_client
from funnel.realtime.feed import Refused, Subscription, board_seq, hub
from funnel.sharing import share_link_alive
from leads.access import GUEST_NAME, ShareViewer, for_guest
from leads.events import actor_summary, encode
from leads.events.schema import Error, Hello, MeetingFollow, Person, Pong, You
from leads.models import BoardMembership, Role
from leads.services.people import member_seen
from leads.validation import MAX_ID


class Close(IntEnum):
    TOO_BIG = 1009
    BAD_MESSAGE = 4400
    UNAUTHENTICATED = 4401
    REMOVED = 4403
    NOT_FOUND = 4404
    RESYNC = 4408
    SHARE_ENDED = 4410
    TOO_MANY = 4429


# What each close code tells the client to do.
CLOSE_CODES: dict[Close, str] = {
    Close.TOO_BIG: "Message over WS_MAX_MESSAGE_BYTES. Do not resend it.",
    Close.BAD_MESSAGE: "Message is not a JSON object. Fix the client.",
    Close.UNAUTHENTICATED: (
        "No session, and no valid ?ticket= (POST /api/ws-ticket/; single use, 30 s) or "
        "Authorization header; ?token= and ?share= are refused. Log in, then reconnect."
    ),
    Close.REMOVED: ("You were removed from this board, or left it (member.removed). Do not retry."),
    Close.NOT_FOUND: "No such board, or you are not a member. Do not retry.",
    Close.RESYNC: (
        "The socket fell behind (or the server lost its feed). Reconnect and fetch "
        "/api/boards/<id>/events/?after=<last seq>."
    ),
    Close.TOO_MANY: (
        "Too many connections for this user, share link, address or board "
        "(WS_MAX_CONNECTIONS_PER_*), "
        "or too many messages (WS_MESSAGE_RATE / WS_MESSAGE_BURST). Back off, then retry."
    ),
    Close.SHARE_ENDED: ("The share link was revoked, has expired or does not exist. Do not retry."),
}

PONG = encode(Pong())
# Every announcement of a revoked link starts so (``funnel.sharing.share_link_revoke``).
SHARE_REVOKED_PREFIX = '{"type":"share.revoked",'
# Every member event starts so (``leads.events.encode`` writes ``type`` first).
MEMBER_PREFIX = '{"type":"member.'
DEFAULT_SHARE_RECHECK = 30.0  # seconds between an open share socket's checks of its link


def share_recheck() -> float:
    return float(getattr(settings, "WS_SHARE_RECHECK", DEFAULT_SHARE_RECHECK))


def guest_summary(viewer: ShareViewer) -> dict[str, Any]:
    """The presence entry of a share link's audience: one "Guest" per link."""
    return {"id": f"share-{viewer.link_id}", "username": "", "name": GUEST_NAME, "team": None}


def revoked_link(text: str) -> int | None:
    try:
        link = json.loads(text).get("link")
    except (ValueError, AttributeError):
        return None
    return link if isinstance(link, int) else None


@database_sync_to_async
def membership_get(board_id: int, user: Any) -> BoardMembership | None:
    return BoardMembership.objects.filter(board_id=board_id, user_id=user.pk).first()


def member_change(text: str, user_id: Any) -> dict[str, Any] | None:
    """The member event ``text`` when it is about ``user_id`` (parsed only for
    member events: the rest go out unread)."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if message.get("type") == "member.removed":
        return message if message.get("user") == user_id else None
    if message.get("type") == "member.updated":
        member = message.get("member") or {}
        return message if member.get("id") == user_id else None
    return None


def text_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def error(detail: str) -> str:
    return encode(Error(detail=detail))


class TokenBucket:
    """``rate`` messages a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class BoardConsumer(AsyncWebsocketConsumer):
    # No channel of its own: the board feed listens for every socket of the
    # board in this process. An alias that is not configured gives no layer
    # (get_channel_layer returns None), hence no per-socket channel or receive.
    channel_layer_alias = "funnel.board-socket.no-layer"

    subscription: Subscription | None = None
    accepted = False
    closed = False
    me: dict[str, Any] | None = None
    can_write = False
    bucket: TokenBucket | None = None
    share: ShareViewer | None = None  # opened with a share link
    watcher: asyncio.Task[None] | None = None  # closes the socket when the link ends
    closer: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if self.scope.get("share_refused"):
            await self.refuse(Close.SHARE_ENDED)
            return
        if user is None or not (user.is_authenticated or isinstance(user, ShareViewer)):
            await self.refuse(Close.UNAUTHENTICATED)
            return
        board_id = int(self.scope["url_route"]["kwargs"]["board_id"])
        if isinstance(user, ShareViewer):
            if user.board_id != board_id:
                await self.refuse(Close.NOT_FOUND)
                return
            self.share = user
            me, role = guest_summary(user), Role.VIEWER.value
        else:
            membership = await membership_get(board_id, user) if board_id <= MAX_ID else None
            if membership is None:
                await self.refuse(Close.NOT_FOUND)
                return
            summary = actor_summary(user, membership)
            assert summary is not None
            me, role = summary.wire(), membership.role
            self.can_write = membership.can_write
            await database_sync_to_async(member_seen)(board_id=board_id, user=user)
        self.me = me
        self.bucket = TokenBucket(settings.WS_MESSAGE_RATE, settings.WS_MESSAGE_BURST)
        await self.accept()
        self.accepted = True
        # Join first, then read the seq: an event committed after the read
        # reaches the queue; one the seq covers is dropped there.
        try:
            self.subscription = await hub().join(
                board_id,
                me,
                send=self.send_text,
                resync=self.resync,
                link=self.share.link_id if self.share is not None else None,
                address=scope_client(self.scope),
            )
        except Refused:
            await self.refuse(Close.TOO_MANY)
            return
        seq = await board_seq(board_id)
        if self.closed:  # told to resync while we read
            return
        if seq is None:  # deleted while we joined
            await self.refuse(Close.NOT_FOUND)
            return
        hello = Hello(
            seq=seq,
            presence=[Person.model_validate(user) for user in self.subscription.presence()],
            you=You.model_validate({**me, "role": role}),
        ).wire()
        if self.share is not None:
            hello = for_guest(hello)
        # No await between the presence above and start(): see Subscription.start.
        self.subscription.start(encode(hello), after_seq=seq)
        if self.share is not None:
            self.watcher = asyncio.create_task(self.watch_share(self.share))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        size = text_size(text_data) if text_data is not None else len(bytes_data or b"")
        if size > settings.WS_MAX_MESSAGE_BYTES:
            await self.refuse(Close.TOO_BIG)
            return
        if self.bucket is not None and not self.bucket.take():
            await self.refuse(Close.TOO_MANY)
            return
        try:
            message = json.loads(text_data) if text_data is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.refuse(Close.BAD_MESSAGE)
            return
        kind = message.get("type")
        if kind == "ping":
            self.reply(PONG)
        elif kind == "meeting.follow":
            await self.follow(message.get("view"))
        else:
            self.reply(error("Unknown message type; expected ping or meeting.follow."))

    async def follow(self, view: Any) -> None:
        if not self.can_write:
            self.reply(error("Only editors and owners lead a meeting."))
        elif not isinstance(view, dict):
            self.reply(error("meeting.follow needs a view object."))
        elif self.subscription is not None:
            text = encode(MeetingFollow(view=view, actor=Person.model_validate(self.me)))
            if text_size(text) > settings.WS_MAX_FOLLOW_BYTES:
                self.reply(error("The view is over WS_MAX_FOLLOW_BYTES."))
            else:
                await self.subscription.broadcast(text)

    async def disconnect(self, code: int) -> None:
        await self.leave()

    async def send_text(self, text: str) -> None:
        if (
            self.share is not None
            and text.startswith(SHARE_REVOKED_PREFIX)
            and revoked_link(text) == self.share.link_id
        ):
            # Not from this sender task: closing cancels it (see Subscription.leave).
            self.closer = asyncio.create_task(self.refuse(Close.SHARE_ENDED))
            return
        if self.share is None and text.startswith(MEMBER_PREFIX) and self.me is not None:
            change = member_change(text, self.me["id"])
            if change is not None and change["type"] == "member.removed":
                # The event first, so the page can say why; then the close (not from
                # this sender task: closing cancels it).
                await self.send(text_data=text)
                self.closer = asyncio.create_task(self.refuse(Close.REMOVED))
                return
            if change is not None:
                # New rights at once: a viewer made editor may lead a meeting now.
                member = change["member"]
                self.can_write = bool(member.get("may_edit"))
                self.me = {**self.me, "team": member.get("team"), "name": member.get("name")}
        await self.send(text_data=text)

    async def watch_share(self, viewer: ShareViewer) -> None:
        """Close when the link expires, or when a check finds it revoked. The
        announcement of a revoke closes the socket sooner; the checks are the
        backstop, and the first one, made once the socket has joined the board's
        feed, catches a revoke announced between the handshake and the join."""
        while not self.closed:
            if not await database_sync_to_async(share_link_alive)(viewer.link_id):
                await self.refuse(Close.SHARE_ENDED)
                return
            wait = share_recheck()
            if viewer.expires_at is not None:
                left = (viewer.expires_at - timezone.now()).total_seconds()
                wait = max(0.0, min(wait, left + 0.05))
            await asyncio.sleep(wait)

    def reply(self, text: str) -> None:
        # Through the queue, so a reply never overtakes the hello or an event.
        if self.subscription is not None:
            self.subscription.push(text)

    async def resync(self) -> None:
        await self.refuse(Close.RESYNC)

    async def refuse(self, code: Close) -> None:
        """Close with ``code``. Accepting first makes the code reach a browser
        (a socket closed during the handshake shows only 1006)."""
        if self.closed:
            return
        self.closed = True
        if not self.accepted:
            await self.accept()
            self.accepted = True
        await self.close(code=int(code))
        await self.leave()

    async def leave(self) -> None:
        watcher = self.watcher
        if watcher is not None and watcher is not asyncio.current_task():
            watcher.cancel()
        if self.subscription is not None:
            await self.subscription.leave()


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any websocket path but a board's: accepted, then closed with 4404 (a socket
    closed during the handshake shows a browser only 1006)."""

    channel_layer_alias = BoardConsumer.channel_layer_alias

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=int(Close.NOT_FOUND))
