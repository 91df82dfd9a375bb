"""The contract between the server and the board's browser code, in the spirit
of Zulip's ``verify_action``: for random histories of every write,

    reducer(/state/ at seq N) + /events/ after N up to M  ==  /state/ at M,

run through the real reducer (``static/board/core/reducer.js``, under node) on what
the real API answered. Where the reducer cannot know (an import is one summary
event: its cards come from the server), it must say so (``refetch``), and only
then. Every event is also checked against the one schema
(``leads.events.schema``), and each write's REST answer carries exactly the
event the log holds.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from leads.events.schema import message_schema, stored_event_adapter
from leads.models import Role, Team
from leads.services import board_member_add, campaign_create
from tests.conftest import client_for
from tests.factories import UserFactory

from .history import History

DRIVER = Path(__file__).with_name("reduce.mjs")
NODE = shutil.which("node")
# Events after which the reducer needs the server (documented on their models).
NEEDS_SERVER = {"leads.imported"}
WRITES = 24
# More histories for a longer run: CONTRACT_SEEDS=20 make test-unit.
SEEDS = range(1, 1 + int(os.environ.get("CONTRACT_SEEDS", "1")))

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(NODE is None, reason="node runs the board's reducer"),
]


def logged_events(board, owner) -> list[dict[str, Any]]:
    """The board's whole log, as ``/events/`` answers it."""
    answer = client_for(owner).get(f"/api/boards/{board.pk}/events/?limit=1000")
    assert answer.status_code == 200, answer.content
    assert not answer.json()["has_more"]
    return answer.json()["events"]


def reduce_in_node(tmp_path: Path, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": cases}))
    run = subprocess.run(
        [NODE or "node", str(DRIVER), str(path)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture
def webinar(board, owner):
    return campaign_create(board_id=board.pk, actor=owner, name="Webinar", channel="webinar")


@pytest.fixture
def sales(board, owner):
    user = UserFactory(username="sam", first_name="Sam", last_name="Sales")
    board_member_add(
        board_id=board.pk, actor=owner, username=user.username, role=Role.EDITOR, team=Team.SALES
    )
    return user


def handoff_moves(states: list[dict[str, Any]], start: int, end: int) -> bool:
    """Did a step of (start, end] give the lane to another stage? The browser is told
    (a stage event's ``handoff``) and gets that stage's waiting leads from the server."""
    stage = [(state.get("handoff") or {}).get("stage") for state in states]
    return any(stage[i] is not None and stage[i] != stage[i - 1] for i in range(start + 1, end + 1))


def windows(rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Every single step, and random longer spans, as (from step, to step)."""
    spans = [(i, i + 1) for i in range(count - 1)]
    spans += sorted({tuple(sorted(rng.sample(range(count), 2))) for _ in range(count)})
    return spans


@pytest.mark.parametrize("mix", ["every write", "stage setup"])
@pytest.mark.parametrize("seed", SEEDS)
def test_reducer_plus_events_equals_fresh_state(seed, mix, board, owner, sales, webinar, tmp_path):
    rng = random.Random(seed)
    # The filters a browser may have on: none, a score range, a campaign and an owner.
    searches = ("", "?score_min=40", f"?campaign={webinar.pk}&owner={sales.pk}")
    history = History(board=board, owner=owner, sales=sales, rng=rng, searches=searches)
    history.run(WRITES, History.SETUP if mix == "stage setup" else None)
    steps = history.steps
    seqs = [step.seq for step in steps]
    log = {e["seq"]: e for e in logged_events(board, owner)}
    assert sorted(log) == list(range(1, seqs[-1] + 1)), "the log has a gap"

    # Each write's answer carries exactly what the log (and so the socket) holds.
    for step in steps:
        if step.answer_event is not None:
            assert step.answer_event == log[step.seq], step.write

    cases, meta = [], []
    for search in searches:
        states = history.states[search]
        for start, end in windows(rng, len(steps)):
            events = [log[s] for s in range(seqs[start] + 1, seqs[end] + 1)]
            cases.append(
                {"search": search, "before": states[start], "events": events, "after": states[end]}
            )
            lane = handoff_moves(states, start, end)
            meta.append((search, [steps[i].write for i in range(start + 1, end + 1)], events, lane))
    results = reduce_in_node(tmp_path, cases)

    checked = 0
    for (search, writes, events, lane), result in zip(meta, results, strict=True):
        where = f"seed {seed}, filters {search!r}, writes {writes}"
        assert result["gap"] is None and result["applied"] == len(events), where
        needs_server = lane or any(e["type"] in NEEDS_SERVER for e in events)
        assert result["refetch"] == needs_server, where
        if not needs_server:
            assert result["reduced"] == result["fresh"], where
            checked += 1
    assert checked > len(results) / 2  # most windows were compared whole


def prefix(short: list[int], whole: list[int]) -> bool:
    return whole[: len(short)] == short


@pytest.mark.parametrize("mix", ["every write", "stage setup"])
@pytest.mark.parametrize("seed", SEEDS)
def test_paged_columns_stay_a_true_prefix(seed, mix, board, owner, sales, webinar, tmp_path):
    """Columns loaded a page at a time (``per_stage``): after the events, each
    loaded column is the start of the fresh column, its cards are the fresh
    cards, and every figure is the server's, unless the reducer asked for a
    refetch (a moved lead past a loaded page, an import)."""
    rng = random.Random(100 + seed)
    paged = "?per_stage=2"
    history = History(board=board, owner=owner, sales=sales, rng=rng, searches=("", paged))
    history.run(WRITES, History.SETUP if mix == "stage setup" else None)
    steps, seqs = history.steps, [step.seq for step in history.steps]
    log = {e["seq"]: e for e in logged_events(board, owner)}
    spans = windows(rng, len(steps))
    cases = [
        {
            "search": "",
            "before": history.states[paged][start],
            "events": [log[s] for s in range(seqs[start] + 1, seqs[end] + 1)],
            "after": history.states[paged][end],
            "full": history.states[""][end],
        }
        for start, end in spans
    ]
    results = reduce_in_node(tmp_path, cases)
    checked = 0
    for (start, end), result in zip(spans, results, strict=True):
        where = f"seed {seed}, writes {[steps[i].write for i in range(start + 1, end + 1)]}"
        if result["refetch"]:
            continue
        checked += 1
        reduced, full = result["reduced"], result["full"]
        for key in ("seq", "board", "stageOrder", "campaigns", "campaignOrder", "handoff"):
            assert reduced[key] == full[key], (where, key)
        for stage_id, stage in full["stages"].items():
            mine = reduced["stages"][stage_id]
            assert {k: v for k, v in mine.items() if k not in ("ids", "next")} == {
                k: v for k, v in stage.items() if k not in ("ids", "next")
            }, (where, stage["name"])
            assert prefix(mine["ids"], stage["ids"]), (where, stage["name"])
            if mine["next"] is None:  # a whole column
                assert mine["ids"] == stage["ids"], (where, stage["name"])
        for lead_id in reduced["leads"]:
            assert reduced["leads"][lead_id] == full["leads"][lead_id], (where, lead_id)
    assert checked > len(results) / 3


def test_every_stored_event_fits_the_schema(board, owner, sales, webinar):
    """What the services stored, as ``/events/`` answers it: valid against the
    served schema, and exactly its model's wire form (nothing stored that the
    model would drop, rename or reformat)."""
    history = History(board=board, owner=owner, sales=sales, rng=random.Random(7), searches=())
    history.run(60)
    # Then every write once more, in order, so that each event type is made whatever
    # the random ones were (campaign_move, then undo: a batch undone, leads.moved).
    for name, _ in History.WRITES:
        getattr(history, name)()
    validator = Draft202012Validator(
        message_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    events = logged_events(board, owner)
    assert {e["type"] for e in events} >= {
        "lead.created",
        "lead.updated",
        "lead.moved",
        "campaign.created",
        "campaign.updated",
        "campaign.moved",
        "leads.moved",
        "lead.feedback",
        "leads.imported",
        "stage.created",
        "stage.updated",
        "stages.reordered",
        "stage.deleted",
        "board.updated",
        "leads.updated",
        "lead.archived",
        "lead.restored",
        "lead.erased",
    }
    assert any(e["type"] == "leads.moved" and e["source"] == "bulk" for e in events)
    for event in events:
        errors = [error.message for error in validator.iter_errors(event)]
        assert not errors, (event["type"], errors)
        assert stored_event_adapter.validate_python(event).wire() == event
