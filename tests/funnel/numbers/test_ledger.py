"""The ledger (numbers kept lead by lead) against the specification: after every step
of a random history (leads created, moved forwards, backwards and past stages, undone,
edited, dropped from the numbers, stages reordered), the ledger whose touched leads were
replaced answers exactly what ``analytics.board_numbers`` answers on the whole log."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.numbers import analytics
from funnel.numbers.ledger import Ledger

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NEW, MQL, SQL, OPP, WON, LOST, LATE = 1, 2, 3, 4, 5, 6, 7
OPEN = [NEW, MQL, SQL, OPP]
CAMPAIGNS = pd.DataFrame(
    {
        "id": [10, 20, 30],
        "name": ["Ads", "Webinar", "Fair"],
        "channel": ["paid search", "webinar", "paid search"],
        "cost": [900.0, float("nan"), 120.0],
        "archived": [False, False, True],
    }
)
FEEDBACK = analytics.empty_feedback()
REASONS = ["No budget", "Chose a competitor", ""]


class Board:
    """A board's frames as ``leads.selectors`` hands them to the analytics."""

    def __init__(self) -> None:
        self.stages = pd.DataFrame(
            {
                "id": [NEW, MQL, SQL, OPP, WON, LOST, LATE],
                "name": ["New", "MQL", "SQL", "Opportunity", "Won", "Lost", "Late"],
                "position": [0, 1, 2, 3, 4, 5, 6],
                "kind": ["open", "open", "open", "open", "won", "lost", "lost"],
                "team": ["marketing", "marketing", "sales", "sales", "sales", "sales", "sales"],
            }
        )
        self.leads: dict[int, dict[str, Any]] = {}
        self.gone: set[int] = set()  # left the numbers (their transitions stay)
        self.rows: list[dict[str, Any]] = []
        self.verdicts: list[dict[str, Any]] = []
        self.clock = pd.Timestamp(T0)

    def tick(self, seconds: int) -> pd.Timestamp:
        self.clock += pd.Timedelta(seconds=seconds)
        return self.clock

    def add_row(self, lead: int, from_stage: int | None, to_stage: int, **extra: Any) -> dict:
        row = {
            "id": len(self.rows) + 1,
            "lead_id": lead,
            "from_stage_id": float("nan") if from_stage is None else float(from_stage),
            "to_stage_id": to_stage,
            "at": self.clock,
            "undone": False,
            "reason": extra.get("reason", ""),
        }
        self.rows.append(row)
        return row

    def leads_frame(self) -> pd.DataFrame:
        rows = [
            {"id": i, **fields} for i, fields in sorted(self.leads.items()) if i not in self.gone
        ]
        frame = pd.DataFrame(
            rows, columns=["id", "stage_id", "campaign_id", "created_at", "value", "owner_id"]
        )
        return frame.astype(
            {
                "id": "int64",
                "stage_id": "int64",
                "campaign_id": "float64",
                "value": "float64",
                "owner_id": "float64",
            }
        )

    def transitions(self) -> pd.DataFrame:
        if not self.rows:
            return analytics.empty_transitions()
        frame = pd.DataFrame(self.rows)
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        return frame

    def live(self) -> list[int]:
        return [i for i in sorted(self.leads) if i not in self.gone]

    def apply(self, op: tuple) -> set[int]:
        """Carries out one step; the leads it touched."""
        kind = op[0]
        self.tick(op[1])
        live = self.live()
        if kind == "compact":
            return set()
        if kind == "create":
            _, _, stage, campaign, value, owner = op
            lead = max(self.leads, default=0) + 1
            self.leads[lead] = {
                "stage_id": stage,
                "campaign_id": campaign,
                "created_at": self.clock,
                "value": value,
                "owner_id": owner,
            }
            self.add_row(lead, None, stage)
            return {lead}
        if not live:
            return set()
        lead = live[op[2] % len(live)]
        if kind == "move":
            to_stage, reason = op[3], op[4]
            here = self.leads[lead]["stage_id"]
            if to_stage == here:
                return set()
            lost = to_stage in (LOST, LATE)
            self.add_row(lead, here, to_stage, reason=reason if lost else "")
            self.leads[lead]["stage_id"] = to_stage
        elif kind == "undo":
            last = self.last_kept(lead)
            if last is None or math.isnan(last["from_stage_id"]):
                return set()  # nothing to undo but its entry
            back = int(last["from_stage_id"])
            reversal = self.add_row(lead, last["to_stage_id"], back)
            last["undone"] = reversal["undone"] = True
            self.leads[lead]["stage_id"] = back
        elif kind == "edit":
            _, _, _, campaign, value, owner = op
            self.leads[lead].update(campaign_id=campaign, value=value, owner_id=owner)
        elif kind == "leave":
            self.gone.add(lead)
        elif kind == "verdict":
            self.verdicts.append(
                {
                    "id": len(self.verdicts) + 1,
                    "lead_id": lead,
                    "verdict": op[3],
                    "reason": op[4],
                    "at": self.clock,
                }
            )
        return {lead}

    def feedback(self) -> pd.DataFrame:
        if not self.verdicts:
            return FEEDBACK
        frame = pd.DataFrame(self.verdicts)
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        return frame

    def last_kept(self, lead: int) -> dict | None:
        kept = [r for r in self.rows if r["lead_id"] == lead and not r["undone"]]
        return kept[-1] if kept else None

    def reorder(self, first: int, second: int) -> None:
        positions = self.stages.set_index("id")["position"].to_dict()
        positions[first], positions[second] = positions[second], positions[first]
        self.stages["position"] = self.stages["id"].map(positions)

    def numbers(self) -> dict[str, Any]:
        return analytics.board_numbers(
            stages=self.stages,
            leads=self.leads_frame(),
            transitions=self.transitions(),
            campaigns=CAMPAIGNS,
            feedback=self.feedback(),
            now=self.clock + pd.Timedelta(hours=5),
        )


def plain(value: Any) -> Any:
    """Floats to 9 decimals (a sum over the leads in another order may differ in its
    last bit), NaN as None; the rest as it is."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    return value


seconds = st.integers(min_value=0, max_value=4 * 86400)
campaign = st.sampled_from([10.0, 20.0, 30.0, float("nan")])
value = st.sampled_from([0.0, 100.5, 2500.0, 0.1])
owner = st.sampled_from([1.0, 2.0, float("nan")])
any_stage = st.sampled_from([NEW, MQL, SQL, OPP, WON, LOST, LATE])
step = st.one_of(
    st.tuples(st.just("create"), seconds, any_stage, campaign, value, owner),
    st.tuples(st.just("move"), seconds, st.integers(0, 50), any_stage, st.sampled_from(REASONS)),
    st.tuples(st.just("move"), seconds, st.integers(0, 50), any_stage, st.sampled_from(REASONS)),
    st.tuples(st.just("undo"), seconds, st.integers(0, 50)),
    st.tuples(st.just("edit"), seconds, st.integers(0, 50), campaign, value, owner),
    st.tuples(st.just("leave"), seconds, st.integers(0, 50)),
    st.tuples(st.just("reorder"), st.just(0), st.sampled_from(OPEN), st.sampled_from(OPEN)),
    st.tuples(st.just("compact"), st.just(0)),
    st.tuples(
        st.just("verdict"),
        seconds,
        st.integers(0, 50),
        st.sampled_from(["accepted", "rejected"]),
        st.sampled_from(["", "Duplicate", "No budget"]),
    ),
)


def ledger_numbers(ledger: Ledger, board: Board) -> dict[str, Any]:
    return ledger.numbers(board.stages, CAMPAIGNS, now=board.clock + pd.Timedelta(hours=5))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(step, max_size=40))
def test_the_ledger_answers_what_the_whole_log_answers_after_every_step(steps):
    board = Board()
    ledger = Ledger.of(board.stages, board.leads_frame(), board.transitions(), board.feedback())
    for op in steps:
        if op[0] == "reorder":
            board.reorder(op[2], op[3])
            if not ledger.fits(board.stages):
                ledger = Ledger.of(
                    board.stages, board.leads_frame(), board.transitions(), board.feedback()
                )
        else:
            touched = board.apply(op)
            ledger.replace(
                touched, board.stages, board.leads_frame(), board.transitions(), board.feedback()
            )
        if op[0] == "compact":
            ledger.compact()
        assert ledger.fits(board.stages)
        assert plain(ledger_numbers(ledger, board)) == plain(board.numbers())


def test_a_reorder_of_the_funnel_is_a_ledger_that_no_longer_fits():
    board = Board()
    board.apply(("create", 0, NEW, 10.0, 0.0, 1.0))
    ledger = Ledger.of(board.stages, board.leads_frame(), board.transitions(), board.feedback())
    assert ledger.fits(board.stages)
    renamed = board.stages.assign(name=board.stages["name"] + "!")
    assert ledger.fits(renamed)  # names are read when the numbers are
    board.reorder(MQL, SQL)
    assert not ledger.fits(board.stages)


def test_replacing_a_lead_reads_no_one_elses_transitions():
    board = Board()
    for _ in range(3):
        board.apply(("create", 60, NEW, 10.0, 10.0, 1.0))
    ledger = Ledger.of(board.stages, board.leads_frame(), board.transitions(), board.feedback())
    board.apply(("move", 60, 1, SQL, ""))  # lead 2
    others_gone = board.transitions()
    mine = others_gone[others_gone["lead_id"] == 2]
    ledger.replace({2}, board.stages, board.leads_frame(), mine, board.feedback())
    assert plain(ledger_numbers(ledger, board)) == plain(board.numbers())


def test_a_ledger_of_an_empty_board_is_the_empty_numbers():
    board = Board()
    ledger = Ledger.of(board.stages, board.leads_frame(), board.transitions(), board.feedback())
    assert plain(ledger_numbers(ledger, board)) == plain(board.numbers())
    assert ledger_numbers(ledger, board)["leads"] == 0


def test_the_split_is_exact_at_a_million_seconds_apart():
    """Ages and stays to the second: the ledger's days are the specification's."""
    board = Board()
    board.apply(("create", 0, NEW, 10.0, 1.0, 1.0))
    board.apply(("move", 1_000_000, 0, MQL, ""))
    board.apply(("move", 1, 0, SQL, ""))
    ledger = Ledger.of(board.stages, board.leads_frame(), board.transitions(), board.feedback())
    stages = {s["name"]: s for s in ledger_numbers(ledger, board)["stages"]}
    assert stages["New"]["median_days"] == round(1_000_000 / 86400, 2)
    assert stages == {s["name"]: s for s in board.numbers()["stages"]}


def test_a_lead_lost_twice_counts_once_with_its_latest_reason():
    board = Board()
    board.apply(("create", 0, NEW, 10.0, 1.0, 1.0))
    board.apply(("create", 0, NEW, 20.0, 1.0, 2.0))
    ledger = Ledger.of(board.stages, board.leads_frame(), board.transitions(), board.feedback())
    for op in [
        ("move", 60, 0, LOST, "No budget"),
        ("move", 60, 0, SQL, ""),
        ("move", 60, 0, LATE, "Chose a competitor"),
        ("move", 60, 1, LOST, "No budget"),
    ]:
        touched = board.apply(op)
        ledger.replace(
            touched, board.stages, board.leads_frame(), board.transitions(), board.feedback()
        )
    lost = ledger_numbers(ledger, board)["lost_reasons"]
    assert lost["reasons"] == [
        {"reason": "Chose a competitor", "leads": 1},
        {"reason": "No budget", "leads": 1},
    ]
    assert plain(ledger_numbers(ledger, board)) == plain(board.numbers())
