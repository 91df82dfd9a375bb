"""Who reads a board without an account: the holder of a share link.

A ``ShareViewer`` is not a Django user and has no row of its own. It stands for
whoever holds one read-only share link (``funnel.models.ShareLink``) and sees
that one board as a viewer would. It is built by ``funnel.permissions`` (REST)
and ``funnel.realtime.auth`` (websocket) after the link was checked in the database;
``leads.selectors`` scope it to its board and ``leads.services.access`` refuses
it as the actor of any write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

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
