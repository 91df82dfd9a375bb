"""Boards, their stages and their members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from leads.access import board_lock, membership_for_owner

from ..errors import InvalidInput, NotFound
from ..models import Board, BoardMembership, Role, Stage, StageKind, StageTeam, Team
from ..validation import visible
from .stages import STAGE_COLORS, StageSpec, check_stages
from .tx import write_transaction

DEFAULT_STAGES: list[StageSpec] = [
    {"name": "New", "kind": StageKind.OPEN, "team": StageTeam.MARKETING, "sla_days": 7},
    {"name": "MQL", "kind": StageKind.OPEN, "team": StageTeam.MARKETING, "sla_days": 14},
    {"name": "SQL", "kind": StageKind.OPEN, "team": StageTeam.SALES, "sla_days": 10},
    {"name": "Opportunity", "kind": StageKind.OPEN, "team": StageTeam.SALES, "sla_days": 30},
    {"name": "Won", "kind": StageKind.WON, "team": StageTeam.SALES},
    {"name": "Lost", "kind": StageKind.LOST, "team": StageTeam.SALES},
]


def unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "board"
    slug, n = base, 1
    while Board.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@write_transaction
def board_create(
    *,
    name: str,
    created_by: Any,
    stages: list[StageSpec] | None = None,
    team: str = Team.MANAGEMENT,
) -> Board:
    """A board with its stages (the default funnel when none are given); the creator owns it."""
    name = name.strip()
    if not visible(name):
        raise InvalidInput("A board needs a name with a visible character.", field="name")
    specs = stages if stages else DEFAULT_STAGES
    check_stages(specs)
    board = Board.objects.create(name=name, slug=unique_slug(name), created_by=created_by)
    Stage.objects.bulk_create(
        Stage(
            board=board,
            name=spec["name"].strip(),
            position=index,
            kind=spec.get("kind", StageKind.OPEN),
            team=spec.get("team", StageTeam.MARKETING),
            sla_days=spec.get("sla_days"),
            wip_limit=spec.get("wip_limit"),
            color=spec.get("color")
            or STAGE_COLORS.get(spec.get("kind", StageKind.OPEN))
            or STAGE_COLORS[spec.get("team", StageTeam.MARKETING)],
        )
        for index, spec in enumerate(specs)
    )
    if created_by is not None:
        BoardMembership.objects.create(board=board, user=created_by, role=Role.OWNER, team=team)
    return board


@write_transaction
def board_member_add(
    *, board_id: int, actor: Any, username: str, role: str, team: str
) -> BoardMembership:
    """Add a member, or change an existing member's role and team (owner only)."""
    board = board_lock(board_id)
    membership_for_owner(board.pk, actor)
    if role not in Role.values:
        raise InvalidInput(f"Role must be one of {', '.join(Role.values)}.", field="role")
    if team not in Team.values:
        raise InvalidInput(f"Team must be one of {', '.join(Team.values)}.", field="team")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"No user named {username!r}.", field="username")
    membership, _ = BoardMembership.objects.update_or_create(
        board=board, user=user, defaults={"role": role, "team": team}
    )
    if board.memberships.filter(role=Role.OWNER).count() == 0:
        raise InvalidInput("A board must keep at least one owner.", field="role")
    return membership
