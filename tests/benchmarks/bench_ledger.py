"""The ledger's cost against the whole log's (issue 15), in-process and without a
database: frames shaped like the 100k-lead demo board (about 10 transitions a lead,
some undone, some into Lost). Figures: ``board_numbers`` on the whole log, a ledger's
build, one move's replacement, and the numbers read from the ledger; medians of RUNS.

``BENCH_LEADS`` sets the size (default 100,000)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from funnel.numbers import analytics
from funnel.numbers.ledger import Ledger
from tests.benchmarks.conftest import report

RUNS = 5
STAGES = pd.DataFrame(
    {
        "id": [1, 2, 3, 4, 5, 6],
        "name": ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"],
        "position": [0, 1, 2, 3, 4, 5],
        "kind": ["open", "open", "open", "open", "won", "lost"],
        "team": ["marketing", "marketing", "sales", "sales", "sales", "sales"],
    }
)
CAMPAIGNS = pd.DataFrame(
    {
        "id": np.arange(1, 41),
        "name": [f"Campaign {n}" for n in range(1, 41)],
        "channel": [["email", "paid search", "webinar", "events"][n % 4] for n in range(40)],
        "cost": np.linspace(500, 20_000, 40),
        "archived": False,
    }
)
FEEDBACK = analytics.empty_feedback()
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def board(leads: int, per_lead: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leads walking up and down the funnel, some lost, every 7th move undone."""
    rng = np.random.default_rng(15)
    lead_ids = np.repeat(np.arange(1, leads + 1), per_lead)
    step = np.tile(np.arange(per_lead), leads)
    walk = rng.integers(-1, 3, size=len(lead_ids))
    walk[step == 0] = 0
    stage = np.zeros(len(lead_ids), dtype="int64")
    stage_now = np.zeros(leads, dtype="int64")
    for n in range(per_lead):  # each lead's n-th move, for every lead at once
        rows = step == n
        stage_now = np.clip(stage_now + walk[rows], 0, 5)
        stage[rows] = stage_now
    to_stage = stage + 1
    from_stage = np.concatenate([[np.nan], to_stage[:-1].astype("float64")])
    from_stage[step == 0] = np.nan
    start = pd.Timestamp("2025-01-01", tz="UTC").value
    at = start + (np.arange(len(lead_ids)) * 1_000_000_000 * 29)
    order = np.argsort(at, kind="stable")
    transitions = pd.DataFrame(
        {
            "id": np.arange(1, len(lead_ids) + 1),
            "lead_id": lead_ids[order],
            "from_stage_id": from_stage[order],
            "to_stage_id": to_stage[order],
            "at": pd.to_datetime(at[order], utc=True),
            "undone": (np.arange(len(lead_ids)) % 7 == 6) & (step[order] > 0),
            "reason": np.where(to_stage[order] == 6, "No budget", ""),
        }
    )
    frame = pd.DataFrame(
        {
            "id": np.arange(1, leads + 1),
            "stage_id": stage_now + 1,
            "campaign_id": (np.arange(leads) % 40 + 1).astype("float64"),
            "created_at": pd.to_datetime(start + np.arange(leads) * 290_000_000_000, utc=True),
            "value": (np.arange(leads) % 50 * 100).astype("float64"),
            "owner_id": (np.arange(leads) % 12 + 1).astype("float64"),
        }
    )
    return frame, transitions


def median_ms(call: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def test_ledger_against_the_whole_log():
    size = int(os.environ.get("BENCH_LEADS", "100000"))
    leads, transitions = board(size)
    whole = median_ms(
        lambda: analytics.board_numbers(
            stages=STAGES,
            leads=leads,
            transitions=transitions,
            campaigns=CAMPAIGNS,
            feedback=FEEDBACK,
            now=NOW,
        )
    )
    build = median_ms(lambda: Ledger.of(STAGES, leads, transitions, FEEDBACK))
    ledger = Ledger.of(STAGES, leads, transitions, FEEDBACK)
    one = transitions[transitions["lead_id"] == 17]
    moved = pd.concat([one, one.tail(1).assign(id=len(transitions) + 1)])
    replace = median_ms(lambda: ledger.replace({17}, STAGES, leads, moved, FEEDBACK))
    numbers = median_ms(lambda: ledger.numbers(STAGES, CAMPAIGNS, NOW))
    assert ledger.numbers(STAGES, CAMPAIGNS, NOW)["leads"] == size
    report(
        f"ledger, {size:,} leads, {len(transitions):,} transitions (in-process, no database)",
        board_numbers_whole_log_ms=whole,
        ledger_build_ms=build,
        ledger_replace_one_lead_ms=replace,
        ledger_numbers_ms=numbers,
    )
