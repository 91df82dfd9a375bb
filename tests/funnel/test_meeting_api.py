"""Meetings: start and end through the API, and the recap the end computes and keeps."""

from __future__ import annotations

import pytest

from funnel.models import Meeting
from funnel.numbers.recap import recap_markdown
from funnel.sharing import share_link_create
from leads.services import lead_create, lead_move
from leads.services.undo import transition_undo
from tests.conftest import client_for
from tests.factories import BoardFactory


def meetings_url(board) -> str:
    return f"/api/boards/{board.pk}/meetings/"


def start(user, board):
    return client_for(user).post(meetings_url(board), format="json")


def end(user, board, meeting_id):
    return client_for(user).post(f"{meetings_url(board)}{meeting_id}/end/", format="json")


@pytest.fixture
def hand_built(board, stages, owner, editor):
    """Before the meeting: New [a b c d]  MQL [e]  (e came from New)."""
    leads = {
        name: lead_create(board_id=board.pk, actor=owner, name=name, value=1000)
        for name in ("a", "b", "c", "d", "e")
    }
    lead_move(lead_id=leads["e"].pk, to_stage_id=stages.MQL.pk, actor=owner)
    return leads


def test_recap_counts_the_moves_of_the_meeting_and_the_figures_before_and_after(
    board, stages, owner, editor, hand_built
):
    leads = hand_built
    meeting_id = start(editor, board).json()["id"]

    # During: a -> MQL (Dana), b -> MQL (Olivia), a -> SQL (Dana), c -> Lost (Olivia),
    # d -> MQL then undone (Olivia): the mistake never happened.
    # After: New [d]  MQL [b e]  SQL [a]  Lost [c]
    lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=editor)
    lead_move(lead_id=leads["b"].pk, to_stage_id=stages.MQL.pk, actor=owner)
    lead_move(lead_id=leads["a"].pk, to_stage_id=stages.SQL.pk, actor=editor)
    lead_move(lead_id=leads["c"].pk, to_stage_id=stages.Lost.pk, actor=owner, reason="No budget")
    mistake = lead_move(lead_id=leads["d"].pk, to_stage_id=stages.MQL.pk, actor=owner)
    transition_undo(board_id=board.pk, actor=owner, transition_id=mistake.transition.pk)
    lead_create(board_id=board.pk, actor=editor, name="f")  # added, not moved

    response = end(owner, board, meeting_id)
    assert response.status_code == 200
    body = response.json()
    assert body["running"] is False and body["ended_by"] == "Olivia Owner"
    recap = body["recap"]

    assert recap["moves_total"] == 4 and recap["created"] == 1
    assert [(m["lead_name"], m["from_stage_name"], m["to_stage_name"], m["actor"])
            for m in recap["moves"]] == [
        ("a", "New", "MQL", "Dana Sales"),
        ("b", "New", "MQL", "Olivia Owner"),
        ("a", "MQL", "SQL", "Dana Sales"),
        ("c", "New", "Lost", "Olivia Owner"),
    ]  # fmt: skip
    assert sorted((p["name"], p["moves"]) for p in recap["people"]) == [
        ("Dana Sales", 2),
        ("Olivia Owner", 2),
    ]
    by_name = {stage["name"]: stage for stage in recap["stages"]}
    counts = {name: (s["before"]["count"], s["after"]["count"]) for name, s in by_name.items()}
    assert counts == {
        "New": (4, 2),  # d back in New, and f added during the meeting
        "MQL": (1, 2),
        "SQL": (0, 1),
        "Opportunity": (0, 0),
        "Won": (0, 0),
        "Lost": (0, 1),
    }
    assert by_name["MQL"]["before"]["value"] == 1000.0
    assert by_name["MQL"]["after"]["value"] == 2000.0
    # New -> MQL: 1 of 5 reached MQL before; a, b and e of 6 after (a passed it).
    assert by_name["New"]["before"]["reached"] == 5
    assert by_name["New"]["before"]["conversion_to_next"] == pytest.approx(1 / 5)
    assert by_name["New"]["after"]["reached"] == 6
    assert by_name["New"]["after"]["conversion_to_next"] == pytest.approx(3 / 6)
    assert by_name["MQL"]["after"]["conversion_to_next"] == pytest.approx(1 / 3)
    assert recap["overall_conversion"] == {"before": 0.0, "after": 0.0}

    stored = Meeting.objects.get(pk=meeting_id)
    assert stored.recap == recap and stored.ended_at is not None


def test_moves_before_or_after_the_meeting_are_not_in_its_recap(board, stages, owner, hand_built):
    leads = hand_built
    meeting_id = start(owner, board).json()["id"]
    lead_move(lead_id=leads["a"].pk, to_stage_id=stages.MQL.pk, actor=owner)
    recap = end(owner, board, meeting_id).json()["recap"]
    lead_move(lead_id=leads["b"].pk, to_stage_id=stages.MQL.pk, actor=owner)

    again = end(owner, board, meeting_id)
    assert again.status_code == 200 and again.json()["recap"] == recap
    assert [m["lead_name"] for m in recap["moves"]] == ["a"]


def test_one_meeting_runs_per_board(board, owner, editor):
    first = start(owner, board)
    assert first.status_code == 201 and first.json()["running"] is True
    second = start(editor, board)
    assert second.status_code == 409
    assert second.json()["meeting"] == first.json()["id"]
    end(owner, board, first.json()["id"])
    assert start(editor, board).status_code == 201
    listed = client_for(owner).get(meetings_url(board)).json()
    assert [m["running"] for m in listed] == [True, False]


def test_who_may_start_end_and_read_meetings(board, owner, editor, viewer, outsider):
    assert start(viewer, board).status_code == 403
    assert start(outsider, board).status_code == 404
    assert start(None, board).status_code in (401, 403)
    meeting_id = start(editor, board).json()["id"]
    detail = f"{meetings_url(board)}{meeting_id}/"
    assert end(viewer, board, meeting_id).status_code == 403
    assert end(outsider, board, meeting_id).status_code == 404
    assert client_for(viewer).get(detail).status_code == 200
    assert client_for(outsider).get(detail).status_code == 404
    assert client_for(viewer).get(f"{detail}recap.md").status_code == 409
    assert Meeting.objects.get(pk=meeting_id).running


def test_share_link_reads_the_recap_but_cannot_start_or_end(board, owner, editor, hand_built):
    link = share_link_create(board_id=board.pk, actor=owner)
    share = {"HTTP_X_SHARE_TOKEN": link.token}
    guest = client_for(None)
    assert guest.post(meetings_url(board), **share).status_code == 403
    meeting_id = start(editor, board).json()["id"]
    assert guest.post(f"{meetings_url(board)}{meeting_id}/end/", **share).status_code == 403
    assert guest.get(meetings_url(board), **share).status_code == 403  # the list is members'
    end(editor, board, meeting_id)
    detail = guest.get(f"{meetings_url(board)}{meeting_id}/", **share)
    assert detail.status_code == 200 and detail.json()["recap"]["meeting"] == meeting_id
    markdown = guest.get(f"{meetings_url(board)}{meeting_id}/recap.md", **share)
    assert markdown.status_code == 200 and markdown["Content-Type"].startswith("text/markdown")
    # The token never rides in the URL, downloads included.
    in_query = guest.get(f"{meetings_url(board)}{meeting_id}/recap.md?share={link.token}")
    assert in_query.status_code in (401, 403)


def test_unknown_and_foreign_meetings_are_not_found(board, owner):
    other = BoardFactory(name="Other", created_by=owner)
    foreign = start(owner, other).json()["id"]
    for meeting_id in (foreign, 999_999, 2**63, 2**70):
        assert client_for(owner).get(f"{meetings_url(board)}{meeting_id}/").status_code == 404
        assert end(owner, board, meeting_id).status_code == 404
    assert Meeting.objects.get(pk=foreign).running


def test_recap_markdown_lists_the_moves_and_the_figures(board, stages, owner, hand_built):
    leads = hand_built
    meeting_id = start(owner, board).json()["id"]
    lead_move(lead_id=leads["a"].pk, to_stage_id=stages.SQL.pk, actor=owner)
    end(owner, board, meeting_id)

    response = client_for(owner).get(f"{meetings_url(board)}{meeting_id}/recap.md")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="meeting-recap-')
    text = response.content.decode()
    assert text.startswith("# Meeting recap: Q4 Pipeline\n")
    assert "- Moves made: 1" in text
    assert "| a | New | SQL | Olivia Owner |" in text
    assert "| New | 4 | 3 | -1 |" in text
    assert "- Olivia Owner: 1 move\n" in text


def test_markdown_cells_cannot_break_the_table():
    recap = {
        "board": {"name": "Q4 | Pipeline"},
        "started_at": "2026-11-22T10:00:00Z",
        "ended_at": "2026-11-22T10:30:00Z",
        "minutes": 30.0,
        "started_by": "Olivia",
        "ended_by": None,
        "moves_total": 1,
        "moves_truncated": False,
        "created": 0,
        "moves": [
            {
                "lead_name": "Pipe | Co\nnewline",
                "from_stage_name": "New",
                "to_stage_name": "MQL",
                "actor": None,
                "at": "2026-11-22T10:05:00Z",
            }
        ],
        "people": [{"name": "System", "moves": 1}],
        "stages": [
            {
                "name": "New",
                "before": {"count": 1, "value": 10.0, "conversion_to_next": None},
                "after": {"count": 0, "value": 0.0, "conversion_to_next": 1.0},
            }
        ],
        "overall_conversion": {"before": None, "after": 0.5},
    }
    text = recap_markdown(recap)
    assert "# Meeting recap: Q4 \\| Pipeline" in text
    assert "| 10:05 | Pipe \\| Co newline | New | MQL | System |" in text
    assert "| New | 1 | 0 | -1 | $10 | $0 | n/a | 100% |  |" in text
    assert "Overall conversion: n/a before, 50% after." in text
