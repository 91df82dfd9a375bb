"""Importing a real export with bad rows in real Chromium: on a board of its own,
marketing chooses a HubSpot export in which two rows have problems, reads in words
what the import will do, chooses "import the good rows", runs it, reads the report,
downloads the rejected rows with their problems, and finds the imported leads on top
of their column in the file's order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import open_import, team_board
from tests.server import Server

HEADER = (
    "Record ID,First Name,Last Name,Email,Contact owner,Lifecycle Stage,Create Date,"
    "Company Name,Recent Deal Amount\n"
)
# The file's leads for New, in file order (two bad rows among them, one for MQL).
GOOD_NEW = ["Ada Imported", "Grace Imported", "Alan Imported", "Hedy Imported", "Edith Imported"]
ROWS = [
    "e2e-imp-1,Ada,Imported,ada@imp-e2e.example,marketing,lead,2024-03-05 14:22,Engines,1200",
    'e2e-imp-2,Grace,Imported,grace@imp-e2e.example,,subscriber,2024-03-06,Cobol,"3,000.00"',
    "e2e-imp-3,Bad,Email,not-an-email,,lead,2024-03-06,Odd,",
    "e2e-imp-4,Alan,Imported,alan@imp-e2e.example,marketing,lead,2024-03-07,Bletchley,",
    "e2e-imp-5,Radia,Imported,radia@imp-e2e.example,,marketingqualifiedlead,2024-03-07,CLU,950",
    "e2e-imp-6,Bad,Owner,badowner@imp-e2e.example,nobody@imp-e2e.example,lead,2024-03-08,Odd,",
    "e2e-imp-7,Hedy,Imported,hedy@imp-e2e.example,,lead,2024-03-08,Frequency,",
    "e2e-imp-8,Edith,Imported,edith@imp-e2e.example,,lead,2024-03-09,Clarke,",
]


@pytest.fixture(scope="module")
def import_board(server: Server) -> tuple[int, dict[str, int]]:
    """Marketing's own board with two leads already in New."""
    leads = [("Old lead one", "New"), ("Old lead two", "New")]
    board, stages, _ = team_board(server, "Import", leads, editor=None)
    return board, stages


@pytest.fixture
def marketing(browser: Browser, server: Server, import_board) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 900}, accept_downloads=True)
    page = open_board(log_in(context, server.url, "marketing"), server.url, import_board[0])
    yield page
    context.close()


def names_in(server: Server, board: int, stage: int) -> list[str]:
    _, state = server.api("GET", f"/api/boards/{board}/state/", token=server.token())
    column = next(s for s in state["stages"] if s["id"] == stage)
    return [card["name"] for card in column["leads"]]


def test_import_the_good_rows_and_download_the_rejected(
    server: Server, marketing: Page, import_board, tmp_path: Path
):
    board, stages = import_board
    export = tmp_path / "hubspot-contacts.csv"
    export.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    before = names_in(server, board, stages["New"])
    assert before == ["Old lead two", "Old lead one"]

    # The check: every problem at once, and in words what the good rows would do.
    dialog, report = open_import(marketing, export, "partial")
    headline = report.locator("[data-headline]")
    expect(headline).to_have_text(
        "2 rows have problems, so nothing will be imported as it is. Fix them, or tick"
        " “Import the good rows” for: 6 new leads, 0 updated, 2 rows skipped."
    )
    problems = report.locator(".report-table", has_text="Problems in rows").locator("tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("4")
    expect(problems.nth(0)).to_contain_text("not a valid email address")
    expect(problems.nth(1)).to_contain_text("7")
    expect(problems.nth(1)).to_contain_text("No member of this board is 'nobody@imp-e2e.example'")
    expect(dialog.get_by_label("Contact owner")).to_have_value("owner")
    expect(dialog.get_by_label("Recent Deal Amount")).to_have_value("value")
    importing = dialog.locator("[data-import]")
    expect(importing).to_be_disabled()  # all or nothing by default
    assert names_in(server, board, stages["New"]) == before  # a check writes nothing

    # Import the good rows: the words and the button say what will happen.
    dialog.locator("[data-good-rows]").check()
    expect(headline).to_contain_text("The import will do: 6 new leads, 0 updated, 2 rows skipped.")
    expect(importing).to_be_enabled()
    expect(importing).to_have_text("Import 6 new, skip 2 rows")
    screenshot(marketing, "import-good-rows-preview")
    importing.click()
    expect(report).to_have_attribute("data-state", "imported", timeout=15000)
    expect(headline).to_have_text("Imported: 6 new leads, 0 updated, 2 rows skipped.")
    expect(problems).to_have_count(2)

    # The rejected rows come down as a CSV with their problems.
    with marketing.expect_download() as info:
        report.locator("[data-rejected]").click()
    download = info.value
    assert download.suggested_filename == "hubspot-contacts-rejected.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rejected = list(csv.DictReader(io.StringIO(text)))
    assert [r["Row in original file"] for r in rejected] == ["4", "7"]
    assert [r["Email"] for r in rejected] == ["not-an-email", "badowner@imp-e2e.example"]
    assert "not a valid email address" in rejected[0]["Import problems"]
    assert "nobody@imp-e2e.example" in rejected[1]["Import problems"]
    screenshot(marketing, "import-good-rows-done")
    dialog.locator("[data-close]").click()
    expect(dialog).to_be_hidden()

    # On the server: on top of New in the file's order, above the leads already there.
    assert names_in(server, board, stages["New"]) == [*GOOD_NEW, *before]
    assert names_in(server, board, stages["MQL"]) == ["Radia Imported"]
    # And on the canvas: the column draws them on top, in that order.
    marketing.wait_for_function(
        "([stage, n]) => window.funnelboard.cardsIn(stage).length === n",
        arg=[stages["New"], len(GOOD_NEW) + len(before)],
        timeout=10000,
    )
    _, state = server.api("GET", f"/api/boards/{board}/state/", token=server.token())
    column = next(s for s in state["stages"] if s["id"] == stages["New"])
    ids = [card["id"] for card in column["leads"]]
    drawn = marketing.evaluate("(stage) => window.funnelboard.cardsIn(stage)", stages["New"])
    assert drawn == ids
    # Time in stage starts at the import, not at the CRM's 2024 create date.
    ada = column["leads"][0]
    assert ada["name"] == "Ada Imported" and ada["stage_entered_at"][:4] != "2024"
    screenshot(marketing, "import-on-top")
