"""What one move costs the database (issue 15): the statements of ``lead_move``,
pinned, and the re-read of a move without a version that lost a race."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from leads.models import Lead, StageTransition
from leads.services import lead_create, lead_move
from leads.services import leads as lead_services
from leads.services.tallies import board_tallies_drift

# Into another stage: the lead, the membership, the target stage's lock, the rank,
# the lead's conditional update, the tallies, the transition, the latest verdict,
# and the event with its seq (one statement on PostgreSQL, two on SQLite).
INTO_ANOTHER_STAGE = {"postgresql": 10, "sqlite": 11}  # with both tallies' upserts
WITHIN_ITS_STAGE = {"postgresql": 7, "sqlite": 8}  # no tallies, no transition


def statements(run) -> list[str]:
    """The SQL ``run`` sends, without the savepoints of the test's transaction."""
    with CaptureQueriesContext(connection) as queries:
        run()
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_move_costs_a_fixed_number_of_statements(board, stages, owner):
    # New [ada bob]   move ada to MQL, then reorder it there
    ada = lead_create(board_id=board.pk, actor=owner, name="Ada")
    lead_create(board_id=board.pk, actor=owner, name="Bob", stage_id=stages.MQL.pk)
    into = statements(lambda: lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner))
    assert len(into) == INTO_ANOTHER_STAGE[connection.vendor], into
    within = statements(
        lambda: lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner, position=1)
    )
    assert len(within) == WITHIN_ITS_STAGE[connection.vendor], within
    versioned = statements(
        lambda: lead_move(lead_id=ada.pk, to_stage_id=stages.SQL.pk, actor=owner, version=3)
    )
    assert len(versioned) == INTO_ANOTHER_STAGE[connection.vendor], versioned
    assert not any("leads_webhook" in sql for sql in into + within + versioned)


def test_a_move_without_a_version_places_the_lead_as_a_write_meanwhile_left_it(
    board, stages, owner, monkeypatch
):
    # New [ada]; while ada's move to SQL is computed, someone moves her to MQL and
    # changes her value: the move goes from MQL, and the tallies follow.
    ada = lead_create(board_id=board.pk, actor=owner, name="Ada", value=100)
    real = lead_services.rank_at
    raced = []

    def someone_writes_meanwhile(*args, **kwargs):
        if not raced:
            raced.append(True)
            Lead.objects.filter(pk=ada.pk).update(
                version=F("version") + 1, stage=stages.MQL, value=Decimal("250")
            )
            entered = ada.stage_entered_at  # the other write moves it, keeping its entry
            shift = [
                (stages.New.pk, None, -1, -Decimal(100), entered),
                (stages.MQL.pk, None, 1, Decimal(250), entered),
            ]
            lead_services.tallies_shift(board.pk, shift)
        return real(*args, **kwargs)

    monkeypatch.setattr(lead_services, "rank_at", someone_writes_meanwhile)
    result = lead_move(lead_id=ada.pk, to_stage_id=stages.SQL.pk, actor=owner)
    ada.refresh_from_db()
    assert (ada.stage_id, ada.version, ada.value) == (stages.SQL.pk, 3, Decimal("250"))
    assert result.transition is not None and result.transition.from_stage_id == stages.MQL.pk
    assert result.event["from_stage"] == stages.MQL.pk
    assert result.event["moves"][0]["version"] == 3
    assert StageTransition.objects.filter(lead=ada).count() == 2
    assert board_tallies_drift(board) == {}
