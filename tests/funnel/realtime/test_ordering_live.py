"""Two people dropping cards into the same gap, again and again: every browser
keeps the order the server has. Each drop writes the dropped card's row only, so
the one event it publishes is all a browser needs; nothing is renumbered behind
anyone's back (the float ranks of old were renumbered silently at the 21st drop
into one gap)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from leads.selectors import STATE_PER_STAGE, board_leads_filtered, stage_cards
from leads.services import lead_create, lead_move
from tests.conftest import client_for
from tests.funnel.conftest import join, receive_until_seq
from tests.node import run_node

pytestmark = pytest.mark.django_db(transaction=True)

DROPS = 1000
FOLLOW = Path(__file__).with_name("follow_board.mjs")


@database_sync_to_async
def mql_between(board, stages, owner) -> tuple[int, int]:
    """MQL [A g1 .. g20 B]: cards are created on top, so B first and A last."""
    b = lead_create(board_id=board.pk, actor=owner, name="B", stage_id=stages.MQL.pk)
    for n in range(20, 0, -1):
        lead_create(board_id=board.pk, actor=owner, name=f"g{n}", stage_id=stages.MQL.pk)
    a = lead_create(board_id=board.pk, actor=owner, name="A", stage_id=stages.MQL.pk)
    return a.pk, b.pk


@database_sync_to_async
def state_of(user, board, stage: int | None = None) -> dict:
    """``GET /state/`` as ``user``; with ``stage``, that stage's first page."""
    query = f"?stage={stage}" if stage else ""
    response = client_for(user).get(f"/api/boards/{board.pk}/state/{query}")
    assert response.status_code == 200, response.content
    return response.json()


@database_sync_to_async
def first_page(board, stage_id: int) -> list[list]:
    """``[id, position]`` of the stage's first page, as ``/state/`` reads it."""
    leads = board_leads_filtered(board_id=board.pk, filters=None)
    cards, _ = stage_cards(leads, stage_id, per_stage=STATE_PER_STAGE, after=None)
    return [[c["id"], c["position"]] for c in cards]


def column(state: dict, stage_id: int) -> list[list]:
    cards = next(s for s in state["stages"] if s["id"] == stage_id)["leads"]
    return [[c["id"], c["position"]] for c in cards]


async def test_two_clients_dropping_into_one_gap_keep_the_order_of_state(
    board, stages, owner, editor
):
    a, b = await mql_between(board, stages, owner)
    people = {"owner": owner, "editor": editor}
    first = {name: await state_of(user, board) for name, user in people.items()}
    sockets = {name: (await join(board.pk, user))[0] for name, user in people.items()}
    received: dict[str, list[dict]] = {name: [] for name in people}
    states: dict[int, list[list]] = {}
    drops: dict[int, dict] = {}
    rng = random.Random(11)
    order = [lead for lead, _ in column(first["owner"], stages.MQL.pk)]
    versions = dict.fromkeys(order, 1)
    for n in range(DROPS):
        # The owner drops a card of the gap right under A, the editor right above B:
        # both into the gap between A and B, as the browser asks (the drawn
        # neighbour above, the index, the card's version).
        actor = "owner" if n % 2 == 0 else "editor"
        moving = rng.choice(order[1:-1])
        others = [lead for lead in order if lead != moving]
        index = 1 if actor == "owner" else others.index(b)
        moved = await database_sync_to_async(lead_move)(
            lead_id=moving,
            to_stage_id=stages.MQL.pk,
            actor=people[actor],
            position=index,
            after=others[index - 1],
            version=versions[moving],
        )
        versions[moving] = moved.lead.version
        for name, socket in sockets.items():
            received[name] += [m for m in await receive_until_seq(socket, moved.seq) if "seq" in m]
        states[moved.seq] = await first_page(board, stages.MQL.pk)
        if n % 100 == 99:  # the page above is what /state/ answers
            assert (
                column(await state_of(owner, board, stages.MQL.pk), stages.MQL.pk)
                == (states[moved.seq])
            )
        order = [lead for lead, _ in states[moved.seq]]
        assert (order[0], order[-1], len(order)) == (a, b, 22)
        drops[moved.seq] = {"actor": actor, "lead": moving, "index": index}
    for socket in sockets.values():
        await socket.disconnect()

    for name, events in received.items():
        assert [e["seq"] for e in events] == sorted(drops), f"{name} got every drop once, in order"
        assert all(len(e["moves"]) == 1 for e in events), "a drop moves one card"
    result = run_node(
        FOLLOW,
        {
            "stage": stages.MQL.pk,
            "clients": [
                {"name": name, "state": first[name], "events": received[name]} for name in people
            ],
            "states": states,
            "drops": drops,
        },
    )
    assert result["problems"] == []
    assert (result["checked"], result["predicted"]) == (2 * DROPS, DROPS)
    longest = max(len(position) for cards in states.values() for _, position in cards)
    assert longest <= 120, longest
