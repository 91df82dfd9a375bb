"""Issue 13 figure: a bulk move of 1,000 selected leads, server time (the API view
in process: input checks, the locks, the UPDATEs, the transitions, the event),
the median of several runs back and forth between two stages, and how many
events it stores (one). PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import statistics
import time

import pytest
from django.utils import timezone

from leads.models import BoardEvent, Lead, StageTransition
from leads.ranks import ranks_between
from leads.services.tallies import board_tallies_rebuild
from tests.benchmarks.conftest import report

LEADS = 1000
RUNS = 7


@pytest.mark.django_db(transaction=True)
def test_bulk_move_1000(api, board, stages):
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            board=board,
            stage=stages.New,
            name=f"Lead {i}",
            position=rank,
            stage_entered_at=now,
            created_at=now,
        )
        for i, rank in enumerate(ranks_between(None, None, LEADS))
    )
    board_tallies_rebuild(board)  # bare rows, past the write paths
    ids = list(Lead.objects.filter(board=board).order_by("id").values_list("id", flat=True))
    times, events = [], []
    for run in range(RUNS):
        to_stage = stages.MQL if run % 2 == 0 else stages.New
        before = BoardEvent.objects.filter(board=board).count()
        start = time.perf_counter()
        answer = api.post(
            f"/api/boards/{board.pk}/bulk/",
            {"leads": ids, "action": "move", "to_stage": to_stage.pk},
            format="json",
        )
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.content
        assert answer.json()["count"] == LEADS
        events.append(BoardEvent.objects.filter(board=board).count() - before)
    assert set(events) == {1}
    assert StageTransition.objects.filter(board=board, source="bulk").count() == LEADS * RUNS
    median = statistics.median(times)
    report(
        "bulk move of 1,000 leads: server time",
        median_ms=round(median, 1),
        max_ms=round(max(times), 1),
        runs=RUNS,
        events_per_move=events[0],
    )
    assert median <= 1000
