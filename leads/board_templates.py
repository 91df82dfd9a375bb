"""The funnels a new board can start from, as data: each a funnel real teams run.

A template is stages in funnel order, each with its kind (open, won, lost), the
team that works it (marketing or sales: the first sales-owned open stage is the
handoff, ``leads.rules.handoff_stage``) and its SLA in days (how long a lead may
wait there before its card shows it is aging; none on won and lost, where a lead
rests). ``board_create`` builds a board from one; ``GET /api/board-templates/``
and the boards page list them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from .models import StageKind, StageTeam

OPEN, WON, LOST = StageKind.OPEN, StageKind.WON, StageKind.LOST
MARKETING, SALES = StageTeam.MARKETING, StageTeam.SALES


class StageSpec(TypedDict, total=False):
    name: str
    kind: str
    team: str
    sla_days: int | None
    wip_limit: int | None
    color: str


def stage(name: str, kind: str, team: str, sla_days: int | None = None) -> StageSpec:
    return {"name": name, "kind": kind, "team": team, "sla_days": sla_days}


@dataclass(frozen=True)
class BoardTemplate:
    id: str
    name: str
    description: str
    stages: tuple[StageSpec, ...]


BOARD_TEMPLATES: dict[str, BoardTemplate] = {
    template.id: template
    for template in (
        BoardTemplate(
            id="b2b",
            name="B2B funnel",
            description="Marketing qualifies (New, MQL) and hands over to sales at SQL, "
            "which works the opportunity to Won or Lost.",
            stages=(
                stage("New", OPEN, MARKETING, 7),
                stage("MQL", OPEN, MARKETING, 14),
                stage("SQL", OPEN, SALES, 10),
                stage("Opportunity", OPEN, SALES, 30),
                stage("Won", WON, SALES),
                stage("Lost", LOST, SALES),
            ),
        ),
        BoardTemplate(
            id="hubspot-lifecycle",
            name="HubSpot lifecycle stages",
            description="HubSpot's lifecycle stages: subscribers and leads are nurtured by "
            "marketing until they are MQLs; sales takes them from SQL to Customer.",
            stages=(
                stage("Subscriber", OPEN, MARKETING, 30),
                stage("Lead", OPEN, MARKETING, 14),
                stage("MQL", OPEN, MARKETING, 7),
                stage("SQL", OPEN, SALES, 5),
                stage("Opportunity", OPEN, SALES, 30),
                stage("Customer", WON, SALES),
                stage("Lost", LOST, SALES),
            ),
        ),
        BoardTemplate(
            id="salesforce",
            name="Salesforce lead and opportunity stages",
            description="Salesforce's lead statuses and opportunity stages, worked by sales: "
            "a new lead waits in the handoff lane until a rep accepts it, then goes from "
            "Working to Closed Won or Closed Lost.",
            stages=(
                stage("Open - Not Contacted", OPEN, SALES, 2),
                stage("Working - Contacted", OPEN, SALES, 7),
                stage("Qualified", OPEN, SALES, 14),
                stage("Proposal", OPEN, SALES, 14),
                stage("Negotiation", OPEN, SALES, 21),
                stage("Closed Won", WON, SALES),
                stage("Closed Lost", LOST, SALES),
            ),
        ),
        BoardTemplate(
            id="blank",
            name="Blank",
            description="One open stage, Won and Lost: add your own stages in the board's "
            "settings.",
            stages=(
                stage("New", OPEN, MARKETING, 14),
                stage("Won", WON, SALES),
                stage("Lost", LOST, SALES),
            ),
        ),
    )
}

DEFAULT_TEMPLATE = "b2b"
