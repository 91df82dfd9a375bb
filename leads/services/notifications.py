"""What the board tells one person (``leads.models.Notification``): a lead
assigned to them, sales' verdict on a lead of theirs, an @mention, one of their
leads past its stage's SLA. The services that cause one call ``notify`` inside
their transaction; once it commits, each person's sockets (and only theirs, on
whatever board page they have open) get a ``notification`` message with their
unread count, through their own group on the channel layer
(``leads.events.broadcast.user_group``). The actor is never told of their own
doing, and only members of the board are told at all.

Also here: reading them (``notifications_read``), the daily overdue sweep
(``overdue_notify``) and the optional daily email digest (``digests_send``)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..events.broadcast import encode, publish_to_user
from ..events.payloads import board_teams, notification_item
from ..events.schema import NotificationNew
from ..models import (
    Board,
    BoardMembership,
    Lead,
    Notification,
    NotificationKind,
    Stage,
    StageKind,
    Team,
)
from ..rules import display_name, past_sla_since
from .tx import write_transaction

logger = logging.getLogger(__name__)

TEXT_MAX = 300  # Notification.text


def lead_link(board_id: int, lead_id: int | None) -> str:
    """Where a notification leads: the board with the lead's drawer open."""
    if lead_id is None:
        return f"/boards/{board_id}/"
    return f"/boards/{board_id}/?lead={lead_id}"


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notify(
    *,
    user_ids: Iterable[int | None],
    board_id: int,
    kind: str,
    text: str,
    lead: Lead | None = None,
    actor: Any = None,
    key: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Tell each of ``user_ids`` (members of the board, but not ``actor``) once.
    ``key``: once per key and person, ever (a second call with it tells nobody
    again). Call it inside the write's transaction; the sockets hear after commit."""
    actor_id = getattr(actor, "pk", None)
    wanted = {uid for uid in user_ids if uid is not None and uid != actor_id}
    if not wanted:
        return []
    members = set(
        BoardMembership.objects.filter(board_id=board_id, user_id__in=wanted).values_list(
            "user_id", flat=True
        )
    )
    if key:
        members -= set(
            Notification.objects.filter(user_id__in=members, key=key).values_list(
                "user_id", flat=True
            )
        )
    now = now or timezone.now()
    made = []
    for user_id in sorted(members):
        row = Notification(
            user_id=user_id,
            board_id=board_id,
            lead=lead,
            kind=kind,
            actor=actor if actor_id is not None else None,
            text=text[:TEXT_MAX],
            key=key,
            created_at=now,
        )
        if key:
            # A racing sweep may have told them meanwhile: that one counts.
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue
        else:
            row.save()
        made.append(row)
    if made:
        ids = [row.pk for row in made]
        transaction.on_commit(lambda: notifications_push(ids))
    return made


def notifications_push(ids: list[int]) -> None:
    """Hand each notification to its person's sockets, with their unread count."""
    rows = list(Notification.objects.filter(pk__in=ids).select_related("actor").order_by("id"))
    teams: dict[int, dict[int, str]] = {}
    for row in rows:
        if row.board_id not in teams:
            teams[row.board_id] = board_teams(row.board_id)
        message = NotificationNew(
            notification=notification_item(row, teams[row.board_id]),
            unread=unread_count(row.user_id),
        )
        publish_to_user(row.user_id, encode(message))


def lead_label(lead: Lead) -> str:
    return lead.name if not lead.company else f"{lead.name} ({lead.company})"


def notify_assigned(*, lead: Lead, actor: Any) -> None:
    """``lead`` now has an owner who is not the one who made it so."""
    if lead.owner_id is None:
        return
    who = display_name(actor) if getattr(actor, "pk", None) else "Funnelboard"
    notify(
        user_ids=[lead.owner_id],
        board_id=lead.board_id,
        kind=NotificationKind.ASSIGNED,
        text=f"{who} assigned {lead_label(lead)} to you",
        lead=lead,
        actor=actor,
    )


def notify_assigned_many(*, board_id: int, lead_ids: list[int], actor: Any) -> None:
    """A bulk assign: one notification for the new owner (linking to the first
    lead), not one per lead."""
    if not lead_ids:
        return
    if len(lead_ids) == 1:
        notify_assigned(lead=Lead.objects.get(pk=lead_ids[0]), actor=actor)
        return
    first = Lead.objects.get(pk=lead_ids[0])
    who = display_name(actor) if getattr(actor, "pk", None) else "Funnelboard"
    notify(
        user_ids=[first.owner_id],
        board_id=board_id,
        kind=NotificationKind.ASSIGNED,
        text=f"{who} assigned {len(lead_ids)} leads to you",
        lead=first,
        actor=actor,
    )


def notify_verdict(*, lead: Lead, actor: Any, verdict: str, reason: str) -> None:
    """Sales' verdict: the board's marketing members and the lead's owner hear it."""
    marketing = BoardMembership.objects.filter(
        board_id=lead.board_id, team=Team.MARKETING
    ).values_list("user_id", flat=True)
    who = display_name(actor) if getattr(actor, "pk", None) else "Sales"
    said = f"{who} {verdict} {lead_label(lead)}"
    if reason:
        said += f": {reason}"
    notify(
        user_ids=[*marketing, lead.owner_id],
        board_id=lead.board_id,
        kind=NotificationKind.VERDICT,
        text=said,
        lead=lead,
        actor=actor,
    )


def notify_mentioned(*, lead: Lead, actor: Any, user_ids: Iterable[int]) -> None:
    who = display_name(actor) if getattr(actor, "pk", None) else "Someone"
    notify(
        user_ids=user_ids,
        board_id=lead.board_id,
        kind=NotificationKind.MENTION,
        text=f"{who} mentioned you on {lead_label(lead)}",
        lead=lead,
        actor=actor,
    )


def overdue_key(lead_id: int, day: Any) -> str:
    return f"overdue:{lead_id}:{day.isoformat()}"


@write_transaction
def overdue_notify(*, now: datetime | None = None) -> int:
    """Tell each owner of a lead past its stage's SLA (``rules.past_sla_since``), at
    most once a day per lead (the key ``overdue:<lead>:<date>``). How many were told.
    Leads of archived boards, archived leads and open stages without an SLA are left
    alone."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    told = 0
    stages = Stage.objects.filter(
        sla_days__isnull=False, kind=StageKind.OPEN, board__archived_at__isnull=True
    ).values_list("pk", "board_id", "name", "sla_days")
    for stage_id, board_id, stage_name, sla_days in stages:
        assert sla_days is not None
        late = Lead.objects.filter(
            stage_id=stage_id,
            owner__isnull=False,
            archived_at__isnull=True,
            stage_entered_at__lte=past_sla_since(sla_days, now),
        )
        for lead in late:
            days = (now - lead.stage_entered_at).days
            told += len(
                notify(
                    user_ids=[lead.owner_id],
                    board_id=board_id,
                    kind=NotificationKind.OVERDUE,
                    text=f"{lead_label(lead)} has been in {stage_name} for {days} days"
                    f" (SLA {sla_days})",
                    lead=lead,
                    key=overdue_key(lead.pk, day),
                    now=now,
                )
            )
    return told


# Reading


@write_transaction
def notifications_read(
    *, user: Any, ids: list[int] | None = None, all: bool = False, now: datetime | None = None
) -> int:
    """Mark the person's notifications read (``ids`` of theirs, or ``all``); others'
    ids are ignored. Their unread count after."""
    now = now or timezone.now()
    unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if not all:
        unread = unread.filter(pk__in=ids or [])
    unread.update(read_at=now)
    return unread_count(user.pk)


@write_transaction
def digest_set(*, user: Any, enabled: bool) -> int:
    """Turn the person's daily email digest on or off, for every board of theirs
    (one digest per person). How many memberships changed."""
    return BoardMembership.objects.filter(user_id=user.pk).update(email_digest=enabled)


def digest_enabled(user: Any) -> bool:
    return BoardMembership.objects.filter(user_id=user.pk, email_digest=True).exists()


# The digest


@dataclass(frozen=True)
class DigestResult:
    sent: int
    failed: int


def digests_send(*, now: datetime | None = None, base_url: str | None = None) -> DigestResult:
    """One email per person who asked for it (``BoardMembership.email_digest``) and
    has unread notifications no digest carried yet; those are marked ``emailed_at``.
    A person whose mail fails keeps them for the next run."""
    now = now or timezone.now()
    base = (base_url or settings.SITE_URL).rstrip("/")
    # Per person: one membership with the digest on is the person's yes (``digest_set``
    # sets all of theirs), for the notifications of every board of theirs.
    opted = sorted(
        set(BoardMembership.objects.filter(email_digest=True).values_list("user_id", flat=True))
    )
    sent = failed = 0
    for user_id in opted:
        pending = list(
            Notification.objects.filter(
                user_id=user_id,
                read_at__isnull=True,
                emailed_at__isnull=True,
            )
            .select_related("user")
            .order_by("created_at", "id")
        )
        if not pending or not pending[0].user.email:
            continue
        user = pending[0].user
        boards = {row.board_id for row in pending}
        names = dict(Board.objects.filter(pk__in=boards).values_list("pk", "name"))
        items = [
            {
                "text": row.text,
                "board": names.get(row.board_id, ""),
                "at": row.created_at,
                "url": base + lead_link(row.board_id, row.lead_id),
            }
            for row in pending
        ]
        context = {"name": display_name(user), "items": items, "count": len(items)}
        subject = " ".join(render_to_string("email/digest_subject.txt", context).split())
        body = render_to_string("email/digest.txt", context)
        try:
            EmailMessage(subject=subject, body=body, to=[user.email]).send()
        except (smtplib.SMTPException, OSError, ValueError) as error:
            logger.warning("digest mail to user %s failed: %s", user_id, error)
            failed += 1
            continue
        Notification.objects.filter(pk__in=[row.pk for row in pending]).update(emailed_at=now)
        sent += 1
    return DigestResult(sent=sent, failed=failed)
