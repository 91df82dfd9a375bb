"""Time travel: the board at ``as_of`` equals the board as it really stood then, and
Replay's list of the period's moves."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from leads import selectors
from leads.errors import Conflict, InvalidInput
from leads.events import moment as wire_moment
from leads.models import Lead, Stage
from leads.selectors import frames
from leads.services import lead_create, lead_move, transition_undo
from tests.conftest import client_for


class Clock:
    """``timezone.now`` under the test's control: each tick is one hour later."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def tick(self, hours: float = 1):
        self.now += timedelta(hours=hours)
        return self.now


@pytest.fixture
def clock(board, monkeypatch):
    clock = Clock(board.created_at + timedelta(minutes=1))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def board_now(board_id: int) -> dict[int, set[int]]:
    """The live board: stage id -> lead ids."""
    stages: dict[int, set[int]] = {s.pk: set() for s in Stage.objects.filter(board_id=board_id)}
    for lead_id, stage_id in Lead.objects.filter(board_id=board_id).values_list("id", "stage_id"):
        stages[stage_id].add(lead_id)
    return stages


def board_then(board_id: int, user, moment) -> dict[int, set[int]]:
    state = selectors.board_state_as_of(board_id=board_id, user=user, as_of=moment, per_stage=500)
    result = {}
    for stage in state["stages"]:
        ids = {card["id"] for card in stage["leads"]}
        assert stage["count"] == len(ids) and stage["next"] is None
        assert all(card["stage"] == stage["id"] for card in stage["leads"])
        result[stage["id"]] = ids
    return result


@pytest.mark.parametrize("seed", range(6))
def test_as_of_equals_the_board_as_it_stood(board, stages, owner, clock, seed):
    """Random histories of creations, moves (skips and backward moves) and undos: after
    every step the live board is recorded; rebuilding it at that moment (and half an
    hour later, before the next step) from the transitions gives the same board."""
    rng = random.Random(seed)
    stage_ids = [s.pk for s in Stage.objects.filter(board=board).order_by("position")]
    leads: list[int] = []
    moves: list[int] = []
    recorded = []
    for _ in range(40):
        clock.tick()
        action = rng.random()
        if action < 0.25 or not leads:
            lead = lead_create(board_id=board.pk, actor=owner, name=f"L{len(leads)}", value=10)
            leads.append(lead.pk)
        elif action < 0.8 or not moves:
            lead_id = rng.choice(leads)
            current = Lead.objects.get(pk=lead_id).stage_id
            target = rng.choice([s for s in stage_ids if s != current])
            moved = lead_move(lead_id=lead_id, to_stage_id=target, actor=owner, reason="No budget")
            moves.append(moved.transition.pk)
        else:
            try:
                transition_undo(board_id=board.pk, actor=owner, transition_id=rng.choice(moves))
            except (Conflict, InvalidInput):
                continue  # already undone, or the lead moved on: nothing happened
        recorded.append((clock.now, board_now(board.pk)))
    clock.tick()
    for moment, live in recorded:
        assert board_then(board.pk, owner, moment) == live
        assert board_then(board.pk, owner, moment + timedelta(minutes=30)) == live


def test_undo_after_as_of_does_not_rewrite_then(board, stages, owner, clock):
    # New [a] -> a to MQL at t1 -> undone at t2: at t1 the board shows a in MQL.
    lead = lead_create(board_id=board.pk, actor=owner, name="a", value=250)
    t0 = clock.now
    clock.tick()
    moved = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    t1 = clock.now
    clock.tick()
    transition_undo(board_id=board.pk, actor=owner, transition_id=moved.transition.pk)
    t2 = clock.now
    clock.tick()
    at_t1 = selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=t1)
    by = {s["name"]: s for s in at_t1["stages"]}
    assert (by["New"]["count"], by["MQL"]["count"], by["MQL"]["value"]) == (0, 1, 250.0)
    assert by["MQL"]["leads"][0]["stage_entered_at"] == wire_moment(t1)  # cards are in wire form
    assert at_t1["campaigns"] == []
    for moment in (t0, t2):
        state = selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=moment)
        by = {s["name"]: s for s in state["stages"]}
        assert (by["New"]["count"], by["MQL"]["count"]) == (1, 0)
    # Back in New, the lead's days count from its creation: the MQL never happened.
    assert by["New"]["leads"][0]["stage_entered_at"] == wire_moment(t0)


def test_leads_created_later_are_absent_and_filters_apply(board, stages, owner, clock, campaign):
    lead_create(board_id=board.pk, actor=owner, name="early", campaign_id=campaign.pk)
    t0 = clock.now
    clock.tick()
    lead_create(board_id=board.pk, actor=owner, name="late")
    clock.tick()
    state = selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=t0)
    assert sum(s["count"] for s in state["stages"]) == 1
    (webinar,) = state["campaigns"]
    assert webinar["count"] == 1 and webinar["stages"][str(stages.New.pk)]["count"] == 1
    filtered = selectors.board_state_as_of(
        board_id=board.pk, user=owner, as_of=clock.now, filters={"campaign": str(campaign.pk)}
    )
    assert sum(s["count"] for s in filtered["stages"]) == 1


def test_as_of_pages_a_stage_like_the_live_board(board, stages, owner, clock):
    for n in range(5):
        lead_create(board_id=board.pk, actor=owner, name=f"L{n}")
    clock.tick()
    first = selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=clock.now, per_stage=2)
    new = first["stages"][0]
    assert new["count"] == 5 and len(new["leads"]) == 2 and new["next"]
    live = selectors.board_state_get(board_id=board.pk, user=owner, per_stage=2)
    assert [c["id"] for c in new["leads"]] == [c["id"] for c in live["stages"][0]["leads"]]
    seen = [c["id"] for c in new["leads"]]
    cursor = new["next"]
    while cursor:
        page = selectors.board_state_as_of(
            board_id=board.pk,
            user=owner,
            as_of=clock.now,
            per_stage=2,
            stage_id=stages.New.pk,
            cursor=cursor,
        )
        (stage,) = page["stages"]
        seen += [c["id"] for c in stage["leads"]]
        cursor = stage["next"]
    assert sorted(seen) == sorted(Lead.objects.filter(board=board).values_list("id", flat=True))


@pytest.mark.parametrize(
    "value, message",
    [
        ("yesterday", "ISO 8601"),
        ("2026-13-45T00:00:00Z", "ISO 8601"),
        ("", "ISO 8601"),
        ("1999-01-01T00:00:00Z", "did not exist"),
        ("2999-01-01T00:00:00Z", "future"),
        ("2999-01-01", "future"),
    ],
)
def test_bad_as_of_is_a_clear_400(board, owner, value, message):
    with pytest.raises(InvalidInput) as raised:
        selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=value)
    assert raised.value.field == "as_of" and message in raised.value.detail


def test_as_of_accepts_a_bare_date_and_is_scoped_to_members(board, owner, outsider):
    today = timezone.now().date().isoformat()
    state = selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=today)
    assert state["as_of"] <= timezone.now()
    with pytest.raises(Exception) as raised:
        selectors.board_state_as_of(board_id=board.pk, user=outsider, as_of=today)
    assert getattr(raised.value, "status_code", None) == 404


# Replay


def test_transitions_of_a_period_in_order(board, stages, owner, editor, clock):
    lead = lead_create(board_id=board.pk, actor=owner, name="a")
    clock.tick()
    start = clock.now
    moved = lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=editor)
    clock.tick()
    transition_undo(board_id=board.pk, actor=owner, transition_id=moved.transition.pk)
    clock.tick()
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=editor)
    end = clock.now
    clock.tick()
    body = (
        client_for(editor)
        .get(
            f"/api/boards/{board.pk}/transitions/",
            {"start": start.isoformat(), "end": end.isoformat()},
        )
        .json()
    )
    rows = body["transitions"]
    assert [(r["from_stage"], r["to_stage"], r["source"], r["undone"]) for r in rows] == [
        (stages.New.pk, stages.SQL.pk, "drag", True),
        (stages.SQL.pk, stages.New.pk, "undo", True),
    ]
    assert rows[0]["actor"] == "Dana Sales" and rows[1]["actor"] == "Olivia Owner"
    assert rows[0]["lead"] == lead.pk and body["has_more"] is False
    everything = client_for(editor).get(f"/api/boards/{board.pk}/transitions/?limit=2").json()
    assert len(everything["transitions"]) == 2 and everything["has_more"] is True
    assert [r["id"] for r in everything["transitions"]] == sorted(
        r["id"] for r in everything["transitions"]
    )


def test_transitions_bad_input_and_access(board, owner, outsider):
    api = client_for(owner)
    url = f"/api/boards/{board.pk}/transitions/"
    assert api.get(url, {"start": "soon"}).status_code == 400
    bad = api.get(url, {"start": "2026-02-01T00:00Z", "end": "2026-01-01T00:00Z"})
    assert bad.status_code == 400 and "end" in bad.json()
    assert api.get(url, {"limit": 0}).status_code == 400
    assert client_for(outsider).get(url).status_code == 404


def test_no_as_of_is_the_live_board(board, stages, owner):
    lead_create(board_id=board.pk, actor=owner, name="a")
    live = selectors.board_state_get(board_id=board.pk, user=owner)
    same = selectors.board_state_as_of(board_id=board.pk, user=owner, as_of=None)
    assert same == live and "as_of" not in same


def uncached(settings, read, board_id):
    """``read(board_id)`` past the frame cache, as for a board below NUMBERS_FRAMES_MIN."""
    settings.NUMBERS_FRAMES_MIN = 10**9
    try:
        return read(board_id)
    finally:
        settings.NUMBERS_FRAMES_MIN = 1


def test_cached_transitions_follow_new_moves_undos_and_deletes(
    board, stages, owner, clock, settings
):
    """A big board's transitions stay in memory; every change still shows at once."""

    settings.NUMBERS_FRAMES_MIN = 1
    frames.kept_frames.clear()

    def fresh():
        return uncached(settings, selectors.transitions_frame, board.pk)

    leads = [lead_create(board_id=board.pk, actor=owner, name=f"L{n}") for n in range(3)]
    clock.tick()
    assert selectors.transitions_frame(board.pk).equals(fresh())
    assert next(iter(frames.kept_frames.values())).count == 3  # kept
    moved = lead_move(lead_id=leads[0].pk, to_stage_id=stages.SQL.pk, actor=owner)
    clock.tick()
    assert selectors.transitions_frame(board.pk).equals(fresh())  # appended
    transition_undo(board_id=board.pk, actor=owner, transition_id=moved.transition.pk)
    clock.tick()
    cached = selectors.transitions_frame(board.pk)
    assert cached.equals(fresh()) and int(cached["undone"].sum()) == 2
    Lead.objects.filter(pk=leads[1].pk).delete()  # its transitions go with it
    assert selectors.transitions_frame(board.pk).equals(fresh())
    frames.kept_frames.clear()


def test_cached_verdicts_follow_new_verdicts_and_deletes(
    board, stages, owner, editor, clock, settings
):
    """A big board's verdicts stay in memory too (they are only added); each new one,
    and a deleted lead's, shows at once."""
    from leads.services import lead_feedback_record

    settings.NUMBERS_FRAMES_MIN = 1
    frames.kept_frames.clear()

    def fresh():
        return uncached(settings, selectors.feedback_frame, board.pk)

    leads = [
        lead_create(board_id=board.pk, actor=owner, name=f"L{n}", stage_id=stages.SQL.pk)
        for n in range(3)
    ]
    for lead in leads:
        lead_feedback_record(lead_id=lead.pk, actor=editor, verdict="accepted")
        clock.tick()
    assert selectors.feedback_frame(board.pk).equals(fresh())
    assert any(key[2] == "feedback" for key in frames.kept_frames)  # kept
    lead_feedback_record(lead_id=leads[0].pk, actor=editor, verdict="rejected", reason="Duplicate")
    clock.tick()
    cached = selectors.feedback_frame(board.pk)
    assert cached.equals(fresh()) and list(cached["verdict"]).count("rejected") == 1
    Lead.objects.filter(pk=leads[1].pk).delete()  # its verdicts go with it
    assert selectors.feedback_frame(board.pk).equals(fresh())
    assert len(selectors.feedback_frame(board.pk)) == 3
    frames.kept_frames.clear()


def test_cached_transitions_stay_within_their_bytes(owner, clock, settings):
    """The frames kept are bounded in bytes, not boards: the least recently read go
    first, and a frame over the whole budget is never kept."""
    from tests.factories import BoardFactory

    settings.NUMBERS_FRAMES_MIN = 1
    frames.kept_frames.clear()
    boards = [BoardFactory(created_by=owner) for _ in range(3)]
    for made in boards:
        for n in range(4):
            lead_create(board_id=made.pk, actor=owner, name=f"L{n}")
    clock.tick()
    for made in boards:
        selectors.transitions_frame(made.pk)
    sizes = [entry.size for entry in frames.kept_frames.values()]
    assert len(set(sizes)) == 1 and sizes[0] > 0
    one = sizes[0]
    frames.kept_frames.clear()

    settings.NUMBERS_FRAMES_BYTES = 2 * one
    for made in boards:
        selectors.transitions_frame(made.pk)
    kept = [key[1] for key in frames.kept_frames]
    assert kept == [boards[1].pk, boards[2].pk]
    assert sum(entry.size for entry in frames.kept_frames.values()) <= 2 * one

    selectors.transitions_frame(boards[1].pk)  # read again: now the most recent
    selectors.transitions_frame(boards[0].pk)
    assert [key[1] for key in frames.kept_frames] == [boards[1].pk, boards[0].pk]

    settings.NUMBERS_FRAMES_BYTES = one - 1
    read = selectors.transitions_frame(boards[2].pk)
    settings.NUMBERS_FRAMES_MIN = 10**9
    assert read.equals(selectors.transitions_frame(boards[2].pk))
    assert boards[2].pk not in [key[1] for key in frames.kept_frames]
    frames.kept_frames.clear()


def test_state_api_as_of(board, stages, owner, api):
    """GET /state/?as_of= answers the board as it stood then; bad dates are 400s."""
    import datetime as dt

    from django.utils import timezone

    from leads.services import lead_create, lead_move

    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    before_move = timezone.now()
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)

    def stage_of(body):
        return next(s["id"] for s in body["stages"] for c in s["leads"] if c["id"] == lead.pk)

    live = api.get(f"/api/boards/{board.pk}/state/")
    assert live.status_code == 200 and stage_of(live.json()) == stages.MQL.pk
    then = api.get(f"/api/boards/{board.pk}/state/", {"as_of": before_move.isoformat()})
    assert then.status_code == 200, then.json()
    assert stage_of(then.json()) == stages.New.pk
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()
    for bad in ["yesterday", future, "1999-01-01T00:00:00Z"]:
        response = api.get(f"/api/boards/{board.pk}/state/", {"as_of": bad})
        assert response.status_code == 400 and "as_of" in response.json(), bad
