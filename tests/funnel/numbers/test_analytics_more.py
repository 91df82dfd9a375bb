"""Cohorts, velocity, handoff quality, MQL->SQL per campaign and the channel filter,
against the hand-computed board of test_analytics (no database)."""

from __future__ import annotations

import pandas as pd
import pytest

from funnel.numbers.analytics import (
    board_numbers,
    campaign_figures,
    handoff_quality,
    velocity,
    weekly_cohorts,
)
from tests.funnel.numbers.test_analytics import (
    LOST,
    MQL,
    NEW,
    NOW,
    OPP,
    PATHS,
    SQL,
    STAGES,
    WON,
    day,
    frames,
)

# T0 = Thu 2026-01-01. Leads 1-4 are created Thu-Sun (week of Mon 2025-12-29), lead 5
# on Mon 2026-01-05. Lead 7 (webinar): New -> MQL, still there.
PATHS_7 = {**PATHS, 7: [(None, NEW, 5, False), (NEW, MQL, 6, False)]}
CAMPAIGN_OF = {1: 10, 2: 10, 3: 20, 4: 20, 5: 20, 7: 20}
CAMPAIGNS = pd.DataFrame(
    {
        "id": [10, 20],
        "name": ["Ads", "Webinar"],
        "channel": ["paid search", "webinar"],
        "cost": [900.0, 300.0],
    }
)


def feedback(rows):
    return pd.DataFrame(
        [
            (i + 1, lead, verdict, reason, day(at))
            for i, (lead, verdict, reason, at) in enumerate(rows)
        ],
        columns=["id", "lead_id", "verdict", "reason", "at"],
    )


def test_weekly_cohorts_count_skips_and_ignore_undone():
    leads, transitions = frames(PATHS)
    first, second = weekly_cohorts(stages=STAGES, leads=leads, transitions=transitions)
    # Week 1: lead 1 won; 2 reached SQL by skipping MQL; 3 reached SQL and went back;
    # 4's MQL was undone (New only).
    assert first["week"] == "2025-12-29" and first["leads"] == 4
    assert [first["reached"][str(s)] for s in (NEW, MQL, SQL, OPP, WON)] == [4, 3, 3, 1, 1]
    assert first["conversion"][str(MQL)] == pytest.approx(0.75)
    assert first["conversion"][str(WON)] == pytest.approx(0.25)
    assert str(LOST) not in first["reached"]
    assert second["week"] == "2026-01-05" and second["leads"] == 1
    assert [second["reached"][str(s)] for s in (NEW, MQL, WON)] == [1, 0, 0]


def test_weekly_cohorts_of_an_empty_period():
    leads, transitions = frames(PATHS)
    assert (
        weekly_cohorts(
            stages=STAGES, leads=leads, transitions=transitions, start=day(100), end=day(101)
        )
        == []
    )


def test_velocity_over_leads_that_won_ignoring_an_undone_win():
    # Lead 6: New day 0, Won day 3 undone (and its reversal), Won again day 10.
    paths = {
        **PATHS,
        6: [
            (None, NEW, 0, False),
            (NEW, WON, 3, True),
            (WON, NEW, 3.5, True),
            (NEW, WON, 10, False),
        ],
    }
    leads, transitions = frames(paths)
    result = velocity(stages=STAGES, leads=leads, transitions=transitions)
    # lead 1: 0 -> 20 days; lead 6: 0 -> 10 days
    assert result == {"won_leads": 2, "median_days": 15.0, "p90_days": 19.0}
    leads, transitions = frames(PATHS)
    assert (
        velocity(stages=STAGES, leads=leads, transitions=transitions, start=day(1))["won_leads"]
        == 0
    )


def test_handoff_quality_counts_each_lead_once_with_its_latest_verdict():
    leads, _ = frames(PATHS)
    rows = [
        (1, "rejected", "No budget", 3),
        (1, "accepted", "", 4),  # lead 1 was taken back: accepted in the end
        (2, "rejected", "Wrong persona", 4),
        (3, "rejected", "No budget", 9),
        (5, "rejected", "", 5),
        (99, "rejected", "Duplicate", 5),  # not a lead of this cohort
    ]
    result = handoff_quality(leads=leads, feedback=feedback(rows))
    assert (result["accepted"], result["rejected"]) == (1, 3)
    assert result["acceptance_rate"] == pytest.approx(0.25)
    assert result["top_reasons"] == [
        {"reason": "(no reason)", "leads": 1},
        {"reason": "No budget", "leads": 1},
        {"reason": "Wrong persona", "leads": 1},
    ]
    empty = handoff_quality(leads=leads, feedback=feedback([]))
    assert empty == {"accepted": 0, "rejected": 0, "acceptance_rate": None, "top_reasons": []}


def test_mql_to_sql_acceptance_per_campaign():
    leads, transitions = frames(PATHS_7, campaign_of=CAMPAIGN_OF)
    ads, webinar = campaign_figures(
        stages=STAGES, leads=leads, transitions=transitions, campaigns=CAMPAIGNS
    )
    # Ads: leads 1 and 2 both reached MQL (2 by skipping it) and SQL.
    assert ads["mql_to_sql"] == pytest.approx(1.0)
    # Webinar: MQL reached by 3 and 7 (4's MQL was undone), SQL by 3 only.
    assert webinar["mql_to_sql"] == pytest.approx(0.5)


def test_channel_filter_keeps_only_that_channels_leads():
    leads, transitions = frames(PATHS_7, campaign_of=CAMPAIGN_OF)
    result = board_numbers(
        stages=STAGES,
        leads=leads,
        transitions=transitions,
        campaigns=CAMPAIGNS,
        feedback=feedback([]),
        now=NOW,
        channel="webinar",
    )
    by = {s["name"]: s for s in result["stages"]}
    assert result["leads"] == 4
    assert (by["New"]["reached"], by["MQL"]["reached"], by["SQL"]["reached"]) == (4, 2, 1)
    assert [c["name"] for c in result["campaigns"]] == ["Webinar"]
    assert result["velocity"]["won_leads"] == 0
    assert {"stages", "overall_conversion", "campaigns", "cohorts", "velocity", "handoff"} <= set(
        result
    )
