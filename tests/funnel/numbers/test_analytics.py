"""Funnel numbers against boards computed by hand (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from funnel.numbers.analytics import campaign_figures, stage_figures

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
NEW, MQL, SQL, OPP, WON, LOST = 1, 2, 3, 4, 5, 6

STAGES = pd.DataFrame(
    {
        "id": [NEW, MQL, SQL, OPP, WON, LOST],
        "name": ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"],
        "position": [0, 1, 2, 3, 4, 5],
        "kind": ["open", "open", "open", "open", "won", "lost"],
        "team": ["marketing", "marketing", "sales", "sales", "sales", "sales"],
    }
)


def day(n: float) -> pd.Timestamp:
    return pd.Timestamp(T0 + timedelta(days=n))


def frames(
    paths: dict[int, list[tuple[int | None, int, float, bool]]], campaign_of=None, value_of=None
):
    """paths: lead -> [(from, to, day, undone)]; the lead sits where its last kept move took it."""
    rows, leads = [], []
    tid = 0
    for lead, moves in paths.items():
        for from_stage, to_stage, at, undone in moves:
            tid += 1
            rows.append((tid, lead, from_stage, to_stage, day(at), undone))
        kept = [m for m in moves if not m[3]]
        leads.append(
            (
                lead,
                kept[-1][1],
                (campaign_of or {}).get(lead),
                day(moves[0][2]),
                (value_of or {}).get(lead, 0.0),
            )
        )
    transitions = pd.DataFrame(
        rows, columns=["id", "lead_id", "from_stage_id", "to_stage_id", "at", "undone"]
    )
    leads_frame = pd.DataFrame(
        leads, columns=["id", "stage_id", "campaign_id", "created_at", "value"]
    )
    return leads_frame, transitions


# Lead 1: New -> MQL -> SQL -> Opp -> Won       (straight through)
# Lead 2: New -> SQL (skips MQL) -> Lost         (drops at SQL)
# Lead 3: New -> MQL -> SQL -> MQL (rejected back) still in MQL
# Lead 4: New -> MQL, undone back to New         (the MQL never happened)
# Lead 5: New -> Lost                            (drops at New)
PATHS = {
    1: [
        (None, NEW, 0, False),
        (NEW, MQL, 2, False),
        (MQL, SQL, 5, False),
        (SQL, OPP, 10, False),
        (OPP, WON, 20, False),
    ],
    2: [(None, NEW, 1, False), (NEW, SQL, 3, False), (SQL, LOST, 7, False)],
    3: [(None, NEW, 2, False), (NEW, MQL, 6, False), (MQL, SQL, 8, False), (SQL, MQL, 9, False)],
    4: [(None, NEW, 3, False), (NEW, MQL, 4, True), (MQL, NEW, 4.5, True)],
    5: [(None, NEW, 4, False), (NEW, LOST, 5, False)],
}


@pytest.fixture
def figures():
    leads, transitions = frames(PATHS)
    result = stage_figures(stages=STAGES, leads=leads, transitions=transitions, now=NOW)
    return result, {s["name"]: s for s in result["stages"]}


def test_reached_counts_skips_and_ignores_undone(figures):
    _, by = figures
    # New: all 5. MQL: 1, 2 (skipped past it), 3; not 4 (undone), not 5.
    assert by["New"]["reached"] == 5
    assert by["MQL"]["reached"] == 3
    assert by["SQL"]["reached"] == 3
    assert by["Opportunity"]["reached"] == 1
    assert by["Won"]["reached"] == 1
    assert by["Lost"]["reached"] == 2


def test_conversion_and_overall(figures):
    result, by = figures
    assert by["New"]["conversion_to_next"] == pytest.approx(3 / 5)
    assert by["MQL"]["conversion_to_next"] == pytest.approx(3 / 3)
    assert by["SQL"]["conversion_to_next"] == pytest.approx(1 / 3)
    assert by["Opportunity"]["conversion_to_next"] == pytest.approx(1 / 1)
    assert by["Won"]["conversion_to_next"] is None
    assert result["overall_conversion"] == pytest.approx(1 / 5)


def test_drop_off_and_current(figures):
    _, by = figures
    assert by["New"]["dropped"] == 1 and by["SQL"]["dropped"] == 1 and by["MQL"]["dropped"] == 0
    assert (
        by["New"]["current"],
        by["MQL"]["current"],
        by["Won"]["current"],
        by["Lost"]["current"],
    ) == (1, 1, 1, 2)


def test_time_in_stage(figures):
    _, by = figures
    # finished New visits: 2, 2, 4, 1 days (lead 4 is still in New: not finished)
    assert by["New"]["median_days"] == pytest.approx(2.0)
    # finished MQL visits: lead 1 3 days, lead 3 2 days -> median 2.5
    assert by["MQL"]["median_days"] == pytest.approx(2.5)
    # SQL: lead 1 5 days, lead 2 4 days, lead 3 1 day
    assert by["SQL"]["median_days"] == pytest.approx(4.0)
    assert by["SQL"]["p90_days"] == pytest.approx(4.8)
    assert by["Won"]["median_days"] is None


def test_cohort_by_creation(figures):
    leads, transitions = frames(PATHS)
    result = stage_figures(
        stages=STAGES, leads=leads, transitions=transitions, now=NOW, start=day(2), end=day(4)
    )
    by = {s["name"]: s for s in result["stages"]}
    assert result["leads"] == 2  # leads 3 and 4
    assert by["New"]["reached"] == 2 and by["MQL"]["reached"] == 1 and by["Won"]["reached"] == 0
    assert result["overall_conversion"] == 0.0


def test_empty_board_is_honest():
    leads, transitions = frames({})
    result = stage_figures(stages=STAGES, leads=leads, transitions=transitions, now=NOW)
    assert result["leads"] == 0
    assert all(s["reached"] == 0 and s["conversion_to_next"] is None for s in result["stages"])
    assert result["overall_conversion"] is None


def test_campaigns():
    leads, transitions = frames(
        PATHS, campaign_of={1: 10, 2: 10, 3: 20, 4: 20, 5: 20}, value_of={1: 5000.0}
    )
    campaigns = pd.DataFrame({"id": [10, 20], "name": ["Ads", "Webinar"], "cost": [900.0, 300.0]})
    ads, webinar = campaign_figures(
        stages=STAGES, leads=leads, transitions=transitions, campaigns=campaigns
    )
    assert (ads["leads"], ads["reached"][str(SQL)], ads["reached"][str(WON)]) == (2, 2, 1)
    assert ads["won_value"] == 5000.0
    assert ads["cost_per_sql"] == 450.0 and ads["cost_per_won"] == 900.0
    assert (webinar["leads"], webinar["reached"][str(SQL)]) == (3, 1)
    assert webinar["cost_per_sql"] == 300.0 and webinar["cost_per_won"] is None
