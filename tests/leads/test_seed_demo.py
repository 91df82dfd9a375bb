"""``manage.py seed_demo``: a demo board whose generated history obeys the board's rules."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from leads.models import (
    Board,
    BoardEvent,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    Role,
    Stage,
    StageTransition,
    Team,
    TransitionSource,
    Verdict,
)

NOW = datetime(2025, 6, 30, tzinfo=UTC)
LEADS = 300
REASONS = {"No budget", "Wrong persona", "Bad contact data", "Duplicate", "Student / competitor"}
SALES_STAGES = {"SQL", "Opportunity", "Won"}

pytestmark = pytest.mark.django_db


def seed_demo(*args: str, leads: int = LEADS) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo", "--leads", str(leads), "--now", NOW.isoformat(), "--quiet", *args, stdout=out
    )
    return out.getvalue()


@pytest.fixture
def board() -> Board:
    seed_demo()
    return Board.objects.get()


def transitions_by_lead(board: Board) -> dict[int, list[StageTransition]]:
    by_lead: dict[int, list[StageTransition]] = defaultdict(list)
    for t in StageTransition.objects.filter(board=board).order_by("at", "id"):
        by_lead[t.lead_id].append(t)
    return by_lead


def history(board: Board) -> list[tuple]:
    """Everything generated for the board, without ids."""
    stage = dict(Stage.objects.filter(board=board).values_list("id", "name"))
    campaign = dict(Campaign.objects.filter(board=board).values_list("id", "name"))
    moves = transitions_by_lead(board)
    feedback = defaultdict(list)
    for f in LeadFeedback.objects.filter(lead__board=board).order_by("at", "id"):
        feedback[f.lead_id].append((f.verdict, f.reason, f.valuable_fields, f.useless_fields, f.at))
    return [
        (
            lead.name,
            lead.email,
            lead.company,
            stage[lead.stage_id],
            campaign.get(lead.campaign_id),
            lead.score,
            lead.value,
            lead.attributes,
            lead.position,
            lead.created_at,
            [(stage.get(t.from_stage_id), stage[t.to_stage_id], t.at) for t in moves[lead.pk]],
            feedback[lead.pk],
        )
        for lead in Lead.objects.filter(board=board).order_by("id")
    ]


def test_seed_builds_the_board_its_people_and_campaigns(board):
    stages = list(Stage.objects.filter(board=board).order_by("position"))
    assert [s.name for s in stages] == ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"]
    campaigns = list(Campaign.objects.filter(board=board))
    assert len(campaigns) == 8
    assert len({c.channel for c in campaigns}) == 8
    assert all(c.cost > 0 for c in campaigns)
    six_months_ago = (NOW - timedelta(days=183)).date()
    assert all(six_months_ago <= c.starts_on <= c.ends_on <= NOW.date() for c in campaigns)

    members = {
        m.user.username: (m.role, m.team)
        for m in BoardMembership.objects.filter(board=board).select_related("user")
    }
    assert members["manager"] == (Role.OWNER, Team.MANAGEMENT)
    assert members["marketing"] == (Role.EDITOR, Team.MARKETING)
    assert members["sales"] == (Role.EDITOR, Team.SALES)
    teams = [team for _, team in members.values()]
    assert teams.count(Team.SALES) >= 5 and teams.count(Team.MARKETING) >= 3
    assert Lead.objects.filter(board=board).count() == LEADS


def test_every_lead_replays_to_its_stage(board):
    by_lead = transitions_by_lead(board)
    leads = list(Lead.objects.filter(board=board))
    assert sum(len(moves) for moves in by_lead.values()) > 2 * LEADS
    for lead in leads:
        moves = by_lead[lead.pk]
        assert moves[0].from_stage_id is None and moves[0].at == lead.created_at
        stage = None
        for move in moves:
            assert move.from_stage_id == stage
            assert move.source == TransitionSource.SEED
            assert move.at <= NOW
            stage = move.to_stage_id
        assert stage == lead.stage_id
        assert [m.at for m in moves] == sorted({m.at for m in moves})  # strictly increasing
        assert lead.stage_entered_at == moves[-1].at
        assert lead.version == 1
    positions = [(lead.stage_id, lead.position) for lead in leads]
    assert len(set(positions)) == len(positions)


def test_newest_arrival_is_on_top_of_its_stage(board):
    for stage in Stage.objects.filter(board=board):
        entered = list(
            Lead.objects.filter(stage=stage)
            .order_by("position", "id")
            .values_list("stage_entered_at", flat=True)
        )
        assert entered == sorted(entered, reverse=True)


def test_history_is_not_live_so_no_lead_events(board):
    # The board, members and campaigns go through the services (campaign_create logs
    # campaign.created, board_member_add member.joined); the generated history logs nothing.
    types = set(BoardEvent.objects.filter(board=board).values_list("type", flat=True))
    assert types <= {"campaign.created", "member.joined"}
    assert board.last_seq == BoardEvent.objects.filter(board=board).count()


def test_conversion_differs_by_campaign(board):
    reached_sales: dict[str, list[bool]] = defaultdict(list)
    for lead in Lead.objects.filter(board=board, campaign__isnull=False).select_related("campaign"):
        names = set(lead.transitions.values_list("to_stage__name", flat=True))
        reached_sales[lead.campaign.channel].append(bool(names & SALES_STAGES))
    rates = {channel: mean(hits) for channel, hits in reached_sales.items() if len(hits) >= 10}
    assert rates["partner referral"] > rates["paid search"] + 0.3
    assert max(rates.values()) - min(rates.values()) > 0.3


def test_score_goes_with_conversion(board):
    won = Lead.objects.filter(board=board, stage__name="Won").values_list("score", flat=True)
    dropped_early = Lead.objects.filter(
        board=board, stage__name="Lost", owner__board_memberships__team=Team.MARKETING
    ).values_list("score", flat=True)
    assert mean(won) > mean(dropped_early) + 10


def test_owners_follow_the_stage(board):
    team = {m.user_id: m.team for m in BoardMembership.objects.filter(board=board)}
    for lead in Lead.objects.filter(board=board).select_related("stage"):
        if lead.stage.name in SALES_STAGES:
            assert team[lead.owner_id] == Team.SALES
            assert lead.value > 0
        elif lead.stage.name in {"New", "MQL"}:
            assert team[lead.owner_id] == Team.MARKETING


def test_handoffs_get_feedback_from_sales(board):
    team = {m.user_id: m.team for m in BoardMembership.objects.filter(board=board)}
    by_lead = transitions_by_lead(board)
    feedback = list(LeadFeedback.objects.filter(lead__board=board).select_related("lead"))
    rejected = [f for f in feedback if f.verdict == Verdict.REJECTED]
    assert rejected and any(f.verdict == Verdict.ACCEPTED for f in feedback)
    assert {f.reason for f in rejected} <= REASONS and len({f.reason for f in rejected}) >= 3
    for f in feedback:
        assert team[f.actor_id] == Team.SALES
        fields = set(f.lead.attributes)
        assert set(f.valuable_fields) <= fields and set(f.useless_fields) <= fields
        assert not set(f.valuable_fields) & set(f.useless_fields)
        moves = by_lead[f.lead_id]
        assert any(m.to_stage.name == "SQL" and m.at < f.at for m in moves)
    # Each lead keeps its latest verdict's time, as lead_feedback_record does.
    latest: dict[int, datetime] = {}
    for f in feedback:
        latest[f.lead_id] = max(latest.get(f.lead_id, f.at), f.at)
    kept = Lead.objects.filter(board=board).values_list("id", "last_verdict_at")
    assert {i: at for i, at in kept if at is not None} == latest
    for f in rejected:
        # A rejection sends the lead out of SQL at that moment: back to MQL or to Lost.
        out = [m for m in by_lead[f.lead_id] if m.at == f.at]
        assert [(m.from_stage.name, m.to_stage.name in {"MQL", "Lost"}) for m in out] == [
            ("SQL", True)
        ]
    back_to_marketing = [
        m
        for moves in by_lead.values()
        for m in moves
        if m.from_stage and m.from_stage.name == "SQL" and m.to_stage.name == "MQL"
    ]
    assert back_to_marketing


def test_same_seed_same_history_other_seed_other_history():
    seed_demo("--board-name", "A")
    seed_demo("--board-name", "B")
    seed_demo("--board-name", "C", "--seed", "7")
    a, b, c = (Board.objects.get(name=name) for name in "ABC")
    assert history(a) == history(b)
    assert history(a) != history(c)


def test_demo_logins_use_the_demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "let-me-in-please")
    out = seed_demo(leads=10)
    assert "Demo logins: marketing / sales / manager, password: let-me-in-please" in out
    board = Board.objects.get()
    assert f"/boards/{board.pk}/" in out
    for username in ("marketing", "sales", "manager"):
        assert authenticate(username=username, password="let-me-in-please") is not None


def test_if_empty_does_nothing_when_a_board_exists(board):
    counts = (Board.objects.count(), Lead.objects.count(), StageTransition.objects.count())
    out = seed_demo("--if-empty", "--board-name", "Another")
    assert (Board.objects.count(), Lead.objects.count(), StageTransition.objects.count()) == counts
    assert "Demo logins: marketing / sales / manager, password: funnelboard-demo" in out


def test_if_empty_seeds_an_empty_database():
    seed_demo("--if-empty", leads=20)
    assert Lead.objects.count() == 20


def test_transitions_per_lead_adds_rework():
    seed_demo("--board-name", "Natural")
    seed_demo("--board-name", "Busy", "--transitions-per-lead", "8")
    natural, busy = (
        StageTransition.objects.filter(board__name=name).count() / LEADS
        for name in ("Natural", "Busy")
    )
    assert natural < 4
    assert 6.5 < busy < 9.5


def postgres_only() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the bare-table load is PostgreSQL's")


def table_definitions() -> dict[str, tuple[list[str], list[str]]]:
    """Each history table's constraint and index definitions, from the catalog."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for model in (Lead, StageTransition, LeadFeedback):
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass ORDER BY 1",
                [table],
            )
            constraints = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
            )
            found[table] = (constraints, [row[0] for row in cursor.fetchall()])
    return found


@pytest.mark.postgres
def test_a_big_seed_loads_bare_tables_and_rebuilds_them(monkeypatch):
    """Over BIG_SEED leads (here: any), the history's tables lose their foreign keys and
    indexes for the COPY and get the same ones back; the rows are the same."""
    from leads.demo import generator

    postgres_only()
    before = table_definitions()
    assert any(constraints for constraints, _ in before.values())
    seed_demo("--board-name", "Small")
    dropped: list[int] = []
    real = generator.indexes_dropped

    def watched(models):
        dropped.append(len(models))
        return real(models)

    monkeypatch.setattr(generator, "BIG_SEED", 1)
    monkeypatch.setattr(generator, "indexes_dropped", watched)
    seed_demo("--board-name", "Big")
    assert dropped == [3]
    assert table_definitions() == before
    small, big = (Board.objects.get(name=name) for name in ("Small", "Big"))
    assert history(big) == history(small)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_big_seed_leaves_its_tables_vacuumed(monkeypatch):
    """After the load commits, its tables are vacuumed and analysed: their pages are
    marked all-visible (index-only scans for /state/) and their row counts known."""
    from django.db import connection

    from leads.demo import generator

    postgres_only()
    monkeypatch.setattr(generator, "BIG_SEED", 1)
    seed_demo("--board-name", "Big")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relallvisible, reltuples FROM pg_class WHERE relname = ANY(%s)",
            [[model._meta.db_table for model in generator.HISTORY_MODELS]],
        )
        tables = {name: (visible, rows) for name, visible, rows in cursor.fetchall()}
    assert len(tables) == 3
    assert all(visible > 0 and rows > 0 for visible, rows in tables.values()), tables


@pytest.mark.postgres
def test_a_big_seed_that_fails_keeps_the_tables_as_they_were(monkeypatch):
    from leads.demo import generator

    postgres_only()
    before = table_definitions()
    monkeypatch.setattr(generator, "BIG_SEED", 1)

    def broken(self, plans):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(generator.HistoryWriter, "write", broken)
    with pytest.raises(RuntimeError, match="interrupted"):
        seed_demo("--board-name", "Broken")
    assert table_definitions() == before
    assert not Board.objects.filter(name="Broken").exists()
