"""Boards and their stages (their members: ``leads.services.people``)."""

from __future__ import annotations

from typing import Any, TypedDict

from django.utils.text import slugify

from ..errors import InvalidInput
from ..models import Board, BoardMembership, Role, Stage, StageKind, StageTeam, Team
from ..validation import visible
from .tx import write_transaction


class StageSpec(TypedDict, total=False):
    name: str
    kind: str
    team: str
    sla_days: int | None
    wip_limit: int | None
    color: str


DEFAULT_STAGES: list[StageSpec] = [
    {"name": "New", "kind": StageKind.OPEN, "team": StageTeam.MARKETING, "sla_days": 7},
    {"name": "MQL", "kind": StageKind.OPEN, "team": StageTeam.MARKETING, "sla_days": 14},
    {"name": "SQL", "kind": StageKind.OPEN, "team": StageTeam.SALES, "sla_days": 10},
    {"name": "Opportunity", "kind": StageKind.OPEN, "team": StageTeam.SALES, "sla_days": 30},
    {"name": "Won", "kind": StageKind.WON, "team": StageTeam.SALES},
    {"name": "Lost", "kind": StageKind.LOST, "team": StageTeam.SALES},
]

STAGE_COLORS: dict[str, str] = {
    StageKind.WON: "#16a34a",
    StageKind.LOST: "#94a3b8",
    StageTeam.MARKETING: "#7c3aed",
    StageTeam.SALES: "#0284c7",
}


def unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "board"
    slug, n = base, 1
    while Board.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def check_stages(stages: list[StageSpec]) -> None:
    if not stages:
        raise InvalidInput("A board needs at least one stage.", field="stages")
    names = [spec.get("name", "").strip() for spec in stages]
    if any(not visible(name) for name in names):
        raise InvalidInput("Every stage needs a name with a visible character.", field="stages")
    if len({name.lower() for name in names}) != len(names):
        raise InvalidInput("Stage names must be unique on a board.", field="stages")
    kinds = [spec.get("kind", StageKind.OPEN) for spec in stages]
    if StageKind.OPEN not in kinds:
        raise InvalidInput("A funnel needs at least one open stage.", field="stages")
    if kinds.count(StageKind.WON) > 1 or kinds.count(StageKind.LOST) > 1:
        raise InvalidInput("A board has at most one won and one lost stage.", field="stages")


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
