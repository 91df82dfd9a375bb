"""The member events under the contract of ``test_reducer_contract``: the board's
real reducer, applying what the log holds between two ``/state/`` answers, ends
where a fresh ``/state/`` is (``people`` with each member's team; a removed
member who owns a card keeps a name and no team), or asks for a refetch, which
it does only when a team filter makes the figures the server's to say."""

from __future__ import annotations

import json
import shutil

import pytest
from django.contrib.auth import get_user_model

from leads.services import board_member_add, lead_create
from leads.services.invitations import invitation_accept, invitation_create
from leads.services.people import member_remove, member_update
from tests.conftest import client_for

from .test_reducer_contract import logged_events, reduce_in_node

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("node") is None, reason="node runs the board's reducer"),
]

User = get_user_model()


def state(client, board, search: str) -> dict:
    answer = client.get(f"/api/boards/{board.pk}/state/{search}")
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.mark.parametrize("search", ["", "?team=sales", "?team=management&score_min=10"])
def test_member_events_reduce_to_the_fresh_state(search, board, owner, editor, viewer, tmp_path):
    client = client_for(owner)
    lead_create(board_id=board.pk, actor=owner, name="Ada", owner=editor, score=50)
    lead_create(board_id=board.pk, actor=owner, name="Bo", owner=viewer, score=20)
    lead_create(board_id=board.pk, actor=owner, name="Cy", score=5)

    def joined() -> None:
        made = invitation_create(
            board_id=board.pk, actor=owner, role="viewer", team="sales", site="http://x"
        )
        invitation_accept(
            token=made.url.rstrip("/").rsplit("/", 1)[1],
            username="grace",
            password="plum-orchard-4417",
            display_name="Grace Hopper",
        )

    writes = [
        joined,
        lambda: member_update(board_id=board.pk, actor=owner, user_id=viewer.pk, team="sales"),
        lambda: member_update(board_id=board.pk, actor=owner, user_id=viewer.pk, role="editor"),
        lambda: member_remove(board_id=board.pk, actor=owner, user_id=editor.pk),
        lambda: member_remove(board_id=board.pk, actor=viewer, user_id=viewer.pk),
        lambda: board_member_add(
            board_id=board.pk,
            actor=owner,
            username=editor.username,
            role="viewer",
            team="management",
        ),
        lambda: member_update(
            board_id=board.pk,
            actor=owner,
            user_id=User.objects.get(username="grace").pk,
            team="marketing",
        ),
    ]
    states = [state(client, board, search)]
    for write in writes:
        write()
        states.append(state(client, board, search))
    log = {e["seq"]: e for e in logged_events(board, owner)}
    cases = []
    for start in range(len(states)):
        for end in range(start + 1, len(states)):
            events = [log[s] for s in range(states[start]["seq"] + 1, states[end]["seq"] + 1)]
            assert events and all(e["type"].startswith("member.") for e in events)
            cases.append(
                {"search": search, "before": states[start], "events": events, "after": states[end]}
            )
    results = reduce_in_node(tmp_path, cases)
    compared = 0
    for case, result in zip(cases, results, strict=True):
        where = (search, [e["type"] for e in case["events"]])
        assert result["gap"] is None and result["applied"] == len(case["events"]), where
        if "team=" not in search:
            assert result["refetch"] is False, where
        if not result["refetch"]:
            assert result["reduced"] == result["fresh"], (
                where,
                json.dumps(result["reduced"]["people"]),
            )
            compared += 1
    if "team=" not in search:
        assert compared == len(cases)  # no filter on teams: every window compared whole
