"""Who may read and write a board, and the checks, lookups and locks the services
start with.

Members read their boards and write by their role. A guest reads one board
through a read-only share link: a ``ShareViewer`` is not a Django user and has
no row of its own; it stands for whoever holds the link (``funnel.models.ShareLink``)
and sees that one board as a viewer would. It is built by ``funnel.permissions``
(REST) and ``funnel.realtime.auth`` (websocket) after the link was checked in the
database; ``leads.selectors`` scope it to its board and the write checks below
refuse it as the actor of any write.

Lock order, the same in every service so that two writers never wait on each
other in a circle: the target stage rows (``stage_of_board(..., lock=True)``, in
id order), then the lead rows (one by its conditional version update, many in id
order), then the board row, last and briefly, when ``event_append`` takes the
board's next seq. The stage lock makes a card's rank in its new stage race-free;
the board row lock is held only from that UPDATE to the commit, so the
board-wide critical section is one UPDATE and one INSERT (one statement on
PostgreSQL, ``leads.events.log.event_insert``). Row locks are
``FOR NO KEY UPDATE``: they exclude each other but not the ``FOR KEY SHARE``
that PostgreSQL's foreign-key checks take (a plain ``FOR UPDATE`` on a stage
would deadlock against another writer's transition insert naming that stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings

from leads.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from leads.models import Board, BoardMembership, Campaign, Lead, Stage
from leads.rules import may_set_up


def board_lock(board_id: int) -> Board:
    """Lock the board row for the rest of the transaction: for the rare writes that
    check something board-wide first (a campaign's unique name, the last owner)."""
    try:
        return Board.objects.select_for_update(no_key=True).get(pk=board_id)
    except (Board.DoesNotExist, TypeError, ValueError):
        raise NotFound("Board not found.") from None


LEAD_ARCHIVED = "This lead is archived; restore it to change it."


def lead_for_write(lead_id: Any, *, archived_ok: bool = False) -> Lead:
    """The lead as it is now (no lock: its conditional version update locks it).
    An erased lead is not found; an archived one is read-only (409) unless
    ``archived_ok`` (its restore, its erasure): the one place that says so."""
    try:
        lead = Lead.objects.get(pk=int(lead_id), erased_at__isnull=True)
    except (Lead.DoesNotExist, TypeError, ValueError):
        raise NotFound("Lead not found.") from None
    return lead_writable(lead, archived_ok=archived_ok)


def lead_writable(lead: Lead, *, archived_ok: bool = False) -> Lead:
    if lead.archived_at is not None and not archived_ok:
        raise Conflict(LEAD_ARCHIVED)
    return lead


def lead_locked(lead_id: int) -> Lead:
    """The lead as it is now, locked for the rest of the transaction: a change made
    without a ``version`` applies to what is there, whatever changed meanwhile."""
    try:
        return Lead.objects.select_for_update(no_key=True).get(pk=lead_id)
    except Lead.DoesNotExist:
        raise NotFound("Lead not found.") from None


def leads_locked(lead_ids: list[int]) -> None:
    """Lock many leads, in id order (see the lock order above)."""
    list(
        Lead.objects.select_for_update(no_key=True)
        .filter(pk__in=lead_ids)
        .order_by("id")
        .values_list("id")
    )


def membership_of(board_id: int, actor: Any, *, doing: str) -> BoardMembership:
    """A person's membership, with its board: not a member -> 404; a share link's
    holder -> 403 (``doing``: what the link cannot do)."""
    if isinstance(actor, ShareViewer):
        raise PermissionDenied(f"A share link only shows the board; it cannot {doing}.")
    membership = (
        BoardMembership.objects.filter(board_id=board_id, user=actor)
        .select_related("board")
        .first()
    )
    if membership is None:
        raise NotFound("Board not found.")
    return membership


ARCHIVED = "This board is archived, so it is read-only. Its owner can restore it."


def membership_for_write(
    board_id: int, actor: Any, *, archived_ok: bool = False
) -> BoardMembership | None:
    """The actor's membership, or ``None`` for the system (seed, commands).
    Not a member -> 404 (the board is not theirs to see); viewer or a share
    link's holder -> 403; an archived board -> 409, for everyone: this is the
    one place that keeps an archived board read-only. ``archived_ok``: for the
    owner's writes that apply to an archived board too (restore, delete)."""
    if actor is None:
        archived_at = Board.objects.filter(pk=board_id).values_list("archived_at", flat=True)
        if not archived_at:
            raise NotFound("Board not found.")
        if archived_at[0] is not None and not archived_ok:
            raise Conflict(ARCHIVED)
        return None
    membership = membership_of(board_id, actor, doing="change it")
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot change the board.")
    if membership.board.archived_at is not None and not archived_ok:
        raise Conflict(ARCHIVED)
    return membership


def membership_for_owner(
    board_id: int, actor: Any, *, archived_ok: bool = False
) -> BoardMembership | None:
    membership = membership_for_write(board_id, actor, archived_ok=archived_ok)
    if membership is not None and not may_set_up(membership.role):
        raise PermissionDenied("Only the board's owner can do this.")
    return membership


def demo_board() -> Board | None:
    """The board any signed-in user may join as a viewer: ``settings.DEMO_BOARD``
    names it by slug (``make run`` sets it to the board it seeds; unset, there is
    none). An archived demo board takes no one."""
    if not settings.DEMO_BOARD:
        return None
    return Board.objects.filter(slug=settings.DEMO_BOARD, archived_at__isnull=True).first()


def stage_of_board(
    board_id: int, stage_id: Any, *, field: str = "stage", lock: bool = False
) -> Stage:
    """The board's stage; ``lock``: for cards moving into it (ranks are computed there)."""
    stages = Stage.objects.select_for_update(no_key=True) if lock else Stage.objects
    try:
        return stages.get(pk=int(stage_id), board_id=board_id)
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field=field) from None


def campaign_of_board(board_id: int, campaign_id: Any, *, field: str = "campaign") -> Campaign:
    try:
        return Campaign.objects.get(pk=int(campaign_id), board_id=board_id)
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(
            f"Campaign {campaign_id} is not a campaign of this board.", field=field
        ) from None


# Guests


GUEST_NAME = "Guest"


@dataclass(frozen=True)
class ShareViewer:
    """The holder of a working link to ``board_id``: read-only, that board only.

    It fails closed: to Django and DRF it is anonymous (``is_authenticated`` is
    False, no pk), so ``login_required``, ``IsAuthenticated`` and anything else
    that does not know it keep it out; only code that checks for a
    ``ShareViewer`` (``funnel.permissions``, ``funnel.realtime.consumer``, the board
    selectors) lets it in.
    """

    board_id: int
    link_id: int
    expires_at: datetime | None = None

    is_authenticated: ClassVar[bool] = False
    is_anonymous: ClassVar[bool] = True
    is_active: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_superuser: ClassVar[bool] = False
    pk: ClassVar[None] = None
    id: ClassVar[None] = None

    def get_username(self) -> str:
        return ""

    def get_full_name(self) -> str:
        return GUEST_NAME

    def __str__(self) -> str:
        return f"share link {self.link_id} of board {self.board_id}"


def for_guest(value: Any) -> Any:
    """``value`` (a message, a state, a list of events) as a share link's guest may
    see it: people by display name only, never by username. Every ``username``
    key is dropped, however deep; everything else is kept as it is."""
    if isinstance(value, dict):
        return {key: for_guest(item) for key, item in value.items() if key != "username"}
    if isinstance(value, list | tuple):
        return [for_guest(item) for item in value]
    return value
