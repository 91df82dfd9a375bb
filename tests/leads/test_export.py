"""CSV exports: leads with the board's filters, transitions for a period."""

from __future__ import annotations

import csv
import io

import pytest

from leads.integrations.spreadsheet import neutralize, runs_as_formula
from leads.services import lead_create, lead_feedback_record, lead_move
from tests.conftest import client_for


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_leads_export_with_stage_campaign_feedback_and_attributes(
    board, owner, editor, stages, campaign, api
):
    ada = lead_create(
        board_id=board.pk,
        actor=owner,
        name="Ada",
        email="ada@x.io",
        campaign_id=campaign.pk,
        value=1200,
        attributes={"utm": "newsletter", "city": "London"},
    )
    lead_create(board_id=board.pk, actor=owner, name="Bob", attributes={"phone": "+1 555"})
    lead_move(lead_id=ada.pk, to_stage_id=stages.SQL.pk, actor=owner)
    lead_feedback_record(lead_id=ada.pk, actor=editor, verdict="rejected", reason="No budget")
    rows = read_csv(api.get(f"/api/boards/{board.pk}/export.csv"))
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"Ada", "Bob"}
    row = by_name["Ada"]
    assert (row["stage"], row["campaign"], row["channel"]) == ("SQL", "Webinar", "webinar")
    assert (row["feedback_verdict"], row["feedback_reason"]) == ("rejected", "No budget")
    assert (row["utm"], row["city"], row["phone"]) == ("newsletter", "London", "")
    assert row["days_in_stage"] == "0"
    assert float(row["value"]) == 1200
    # A formula-looking value is neutralized.
    assert by_name["Bob"]["phone"] == "'+1 555"


def test_export_uses_the_state_filters(board, owner, campaign, api):
    lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
    lead_create(board_id=board.pk, actor=owner, name="Bob")
    rows = read_csv(api.get(f"/api/boards/{board.pk}/export.csv?campaign={campaign.pk}"))
    assert [row["name"] for row in rows] == ["Ada"]
    rows = read_csv(api.get(f"/api/boards/{board.pk}/export.csv?q=bo"))
    assert [row["name"] for row in rows] == ["Bob"]
    response = api.get(f"/api/boards/{board.pk}/export.csv?score_min=abc")
    assert response.status_code == 400 and "detail" in response.json()


def test_formula_cells_are_neutralized(board, owner, api):
    lead_create(
        board_id=board.pk, actor=owner, name="=cmd|' /C calc'!A0", company="@SUM(1)", title="-2+3"
    )
    (row,) = read_csv(api.get(f"/api/boards/{board.pk}/export.csv"))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert (row["company"], row["title"]) == ("'@SUM(1)", "'-2+3")


def test_transitions_export_for_a_period(board, owner, stages, api):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    rows = read_csv(api.get(f"/api/boards/{board.pk}/transitions.csv"))
    assert [(r["from_stage"], r["to_stage"], r["source"]) for r in rows] == [
        ("", "New", "create"),
        ("New", "MQL", "drag"),
    ]
    assert rows[1]["actor"] == "olivia"
    assert read_csv(api.get(f"/api/boards/{board.pk}/transitions.csv?end=2000-01-01")) == []
    response = api.get(f"/api/boards/{board.pk}/transitions.csv?start=2024-02-01&end=2024-01-01")
    assert response.status_code == 400


def test_outsider_gets_404(board, outsider):
    response = client_for(outsider).get(f"/api/boards/{board.pk}/export.csv")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("cell", "runs", "exported"),
    [
        ("=1+1", True, "'=1+1"),
        ("@SUM(1)", True, "'@SUM(1)"),
        ("  =cmd", True, "'  =cmd"),
        ("-2+3", True, "'-2+3"),
        ("+1 555 0100", False, "'+1 555 0100"),  # a phone: imported, quoted on the way out
        ("-5", False, "'-5"),
        ("Acme", False, "Acme"),
        ("a=b", False, "a=b"),
    ],
)
def test_one_formula_rule_for_import_and_export(cell, runs, exported):
    assert runs_as_formula(cell) is runs
    assert neutralize(cell) == exported
