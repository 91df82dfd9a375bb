"""Boards and their stages (their members: ``leads.services.people``)."""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify

from ..errors import InvalidInput
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
