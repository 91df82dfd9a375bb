"""Imports of real files: exports shaped like HubSpot's, Salesforce's and Marketo's
(their own column headers), 30 good rows and 10 bad ones each, in both modes (all or
nothing, and the good rows); owners, values and stage entered dates mapped; imported
leads on top of their column in file order; one pass reports every problem."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from leads.models import BoardEvent, Lead, Role, StageTransition, Team
from leads.services import imports as import_service
from leads.services import lead_create
from leads.services.imports import leads_import
from leads.services.people import board_member_add
from tests.factories import UserFactory
from tests.leads.test_import import written

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# file -> (the bad rows' line numbers, a bad row's problem words by line)
REAL_FILES = {
    "hubspot_contacts_40.csv": (
        [5, 9, 13, 17, 21, 25, 29, 33, 37, 41],
        {
            5: "not a valid email",
            13: "'TBD' is not an amount",
            17: "not in a known format",
            21: "No stage named 'evangelist'",
            25: "No member of this board is 'Former Rep'",
            29: "cannot be negative",
            33: "Duplicate email",
            37: "formula",
            41: "Expected 15 cells, found 7",
        },
    ),
    "salesforce_leads_40.csv": (
        [4, 8, 12, 16, 20, 24, 28, 32, 36, 40],
        {
            8: "not a valid email",
            12: "'n/a' is not an amount",
            16: "not in a known format",
            20: "No stage named 'Nurturing'",
            24: "No member of this board is 'Former Employee'",
            28: "stage entered date cannot be in the future",
            32: "Date 'yesterday' is not in a known format",
            36: "Duplicate id",
            40: "before the create date",
        },
    ),
    "marketo_people_40.csv": (
        [3, 7, 11, 15, 19, 23, 27, 31, 35, 39],
        {
            3: "not a valid email",
            11: "between 0 and 100",
            15: "'high' is not a number",
            19: "No campaign named '2025-Q1-Tradeshow-Berlin'",
            23: "No member of this board is 'ex.employee@acme.example'",
            27: "is not an amount",
            31: "not in a known format",
            35: "Duplicate email",
            39: "formula",
        },
    ),
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def rep(board, owner):
    """Rory Rep, a sales editor, and the board's owner Olivia with her email: the
    owners the files name (by name, username or email)."""
    owner.email = "olivia@acme.example"
    owner.save(update_fields=["email"])
    user = UserFactory(
        username="rory", email="rory.rep@acme.example", first_name="Rory", last_name="Rep"
    )
    board_member_add(
        board_id=board.pk, actor=owner, username="rory", role=Role.EDITOR, team=Team.SALES
    )
    return user


def run(board, actor, data: bytes, **options):
    return leads_import(board_id=board.pk, actor=actor, data=data, **options)


def rejected_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("name", list(REAL_FILES))
class TestThirtyGoodTenBad:
    def test_all_or_nothing_writes_nothing_and_lists_every_bad_row(
        self, name, board, owner, rep, campaign
    ):
        bad_rows, words = REAL_FILES[name]
        before = written(board)
        result = run(board, owner, fixture(name))
        assert result.refused
        assert written(board) == before  # no lead, transition, event, campaign or stage
        assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
        assert sorted({e["row"] for e in result.errors}) == bad_rows
        assert result.rejected == 10
        for row, text in words.items():
            assert any(e["row"] == row and text in e["message"] for e in result.errors), (
                row,
                result.errors,
            )
        rejected = rejected_rows(result.rejected_csv)
        assert [int(r["Row in original file"]) for r in rejected] == bad_rows
        assert all(r["Import problems"] for r in rejected)

    def test_good_rows_go_in_and_the_rest_come_back_as_a_file(
        self, name, board, owner, rep, campaign
    ):
        bad_rows, words = REAL_FILES[name]
        dry = run(board, owner, fixture(name), mode="good_rows", dry_run=True)
        assert (dry.created, dry.updated, dry.rejected) == (30, 0, 10)
        assert Lead.objects.filter(board=board).count() == 0

        result = run(board, owner, fixture(name), mode="good_rows")
        assert not result.refused
        assert (result.created, result.updated, result.rejected) == (30, 0, 10)
        assert sorted({e["row"] for e in result.errors}) == bad_rows
        leads = Lead.objects.filter(board=board)
        assert leads.count() == 30
        assert not leads.filter(name__endswith=" Bad").exists()  # every bad row is one "X Bad"
        assert StageTransition.objects.filter(board=board, source="import").count() == 30
        [event] = BoardEvent.objects.filter(board=board, type="leads.imported")
        assert event.payload["created"] == 30

        # The rejected rows, their cells as the file had them and their problems.
        rejected = rejected_rows(result.rejected_csv)
        assert [int(r["Row in original file"]) for r in rejected] == bad_rows
        lines = fixture(name).decode("utf-8-sig").splitlines()
        original = {row: next(csv.reader([lines[row - 1]])) for row in bad_rows}
        headers = next(csv.reader([lines[0]]))
        for record in rejected:
            cells = original[int(record["Row in original file"])]
            for header, cell in zip(headers, cells, strict=False):
                assert record[header] in (cell, "'" + cell)  # a formula start is neutralized
        for row, text in words.items():
            record = next(r for r in rejected if int(r["Row in original file"]) == row)
            assert text in record["Import problems"]

        # The file given back imports again: its two added columns are ignored.
        again = run(board, owner, result.rejected_csv.encode(), mode="good_rows", dry_run=True)
        assert again.columns["Row in original file"] == "ignore"
        assert again.columns["Import problems"] == "ignore"


class TestOnePass:
    def test_unknown_stage_campaign_owner_and_bad_cells_in_one_answer(
        self, board, owner, rep, campaign
    ):
        data = (
            b"Name,Email,Stage,Campaign,Owner\n"
            b"Ada,ada@x.io,Nurture,Webinar,rory\n"
            b"Bob,bob@,MQL,Webinar,rory\n"
            b"Cy,cy@x.io,MQL,Spring Promo,rory\n"
            b"Di,di@x.io,MQL,Webinar,nobody@x.io\n"
            b"Ed,ed@x.io,MQL,Webinar,rory\n"
        )
        result = run(board, owner, data)
        assert [(e["row"], e["field"]) for e in result.errors] == [
            (2, "stage"),
            (3, "Email"),
            (4, "campaign"),
            (5, "owner"),
        ]
        assert Lead.objects.filter(board=board).count() == 0
        good = run(board, owner, data, mode="good_rows")
        assert (good.created, good.rejected) == (1, 4)
        assert list(Lead.objects.filter(board=board).values_list("name", flat=True)) == ["Ed"]


class TestApi:
    def url(self, board):
        return f"/api/boards/{board.pk}/import/"

    def post(self, api, board, data: bytes, **fields):
        upload = SimpleUploadedFile("export.csv", data, content_type="text/csv")
        return api.post(self.url(board), {"file": upload, **fields}, format="multipart")

    def test_good_rows_mode(self, api, board, rep, campaign):
        response = self.post(api, board, fixture("hubspot_contacts_40.csv"), mode="good_rows")
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["created"], body["mode"], body["rejected"], len(body["errors"])) == (
            30,
            "good_rows",
            10,
            10,
        )
        assert body["rejected_csv"].startswith("Row in original file,Import problems,Record ID,")
        assert "10 row(s) with problems were skipped" in body["detail"]
        assert Lead.objects.filter(board=board).count() == 30

    def test_default_is_all_or_nothing(self, api, board, rep, campaign):
        response = self.post(api, board, fixture("salesforce_leads_40.csv"))
        assert response.status_code == 400
        body = response.json()
        assert (body["created"], body["mode"], len(body["errors"])) == (0, "all", 10)
        assert "nothing was imported" in body["detail"]
        assert len(rejected_rows(body["rejected_csv"])) == 10
        assert Lead.objects.filter(board=board).count() == 0

    def test_dry_run_in_good_rows_mode_says_what_would_happen(self, api, board, rep, campaign):
        lead_create(board_id=board.pk, actor=None, name="Known", email="ada.lovelace@hs-0.example")
        response = self.post(
            api, board, fixture("hubspot_contacts_40.csv"), mode="good_rows", dry_run="true"
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["created"], body["updated"], body["rejected"]) == (29, 1, 10)
        assert "would be skipped" in body["detail"]
        assert len(body["preview"]) == 30
        assert Lead.objects.filter(board=board).count() == 1

    def test_bad_mode_is_400_json(self, api, board):
        response = self.post(api, board, b"Name\nAda\n", mode="some_rows")
        assert response.status_code == 400
        assert "mode" in response.json()
        assert Lead.objects.filter(board=board).count() == 0

    def test_a_file_problem_stops_good_rows_too(self, api, board):
        response = self.post(api, board, b"Company,Title\nAcme,CEO\n", mode="good_rows")
        assert response.status_code == 400
        assert response.json()["rejected_csv"] is None

    def test_no_good_row_is_400(self, api, board):
        response = self.post(api, board, b"Name,Email\nAda,nope\n", mode="good_rows")
        assert response.status_code == 400
        assert response.json()["created"] == 0


class TestOwner:
    def test_by_email_username_or_name(self, board, owner, rep):
        data = b"Name,Owner\nA,RORY.REP@acme.example\nB,rory\nC,Olivia Owner\nD,\n"
        result = run(board, owner, data)
        assert result.errors == []
        owners = dict(Lead.objects.filter(board=board).values_list("name", "owner_id"))
        assert owners == {"A": rep.pk, "B": rep.pk, "C": owner.pk, "D": None}

    def test_a_non_member_is_an_error_naming_the_row(self, board, owner, rep):
        UserFactory(username="stranger", email="stranger@acme.example")
        result = run(board, owner, b"Name,Lead Owner\nA,rory\nB,stranger@acme.example\n")
        assert result.errors == [
            {
                "row": 3,
                "field": "owner",
                "message": "No member of this board is 'stranger@acme.example' "
                "(an owner is a member's email, username or name).",
            }
        ]
        assert Lead.objects.filter(board=board).count() == 0

    def test_a_name_two_members_share_asks_for_the_email(self, board, owner, rep):
        UserFactory(username="rory2", first_name="Rory", last_name="Rep")
        board_member_add(
            board_id=board.pk, actor=owner, username="rory2", role=Role.EDITOR, team=Team.SALES
        )
        result = run(board, owner, b"Name,Contact owner\nA,Rory Rep\n")
        assert "give the owner's email" in result.errors[0]["message"]

    def test_a_reimport_changes_the_owner(self, board, owner, rep):
        run(board, owner, b"Email,Owner\na@x.io,rory\n")
        result = run(board, owner, b"Email,Owner\na@x.io,olivia\n", dry_run=True)
        assert result.preview[0]["changes"] == ["owner"]
        run(board, owner, b"Email,Owner\na@x.io,olivia\n")
        assert Lead.objects.get(board=board).owner == owner

    def test_the_fixtures_owners(self, board, owner, rep, campaign):
        for name in REAL_FILES:
            run(board, owner, fixture(name), mode="good_rows")
        by_owner = Lead.objects.filter(board=board).values_list("owner__username", flat=True)
        assert set(by_owner) == {"rory", "olivia", None}
        assert Lead.objects.get(email="katherine@sf-0.example").owner == rep  # "Rory Rep"
        assert Lead.objects.get(email="mary@sf-2.example").owner == rep  # "rory"
        assert Lead.objects.get(email="radia.perlman@mk-2.example").owner == owner  # her email


class TestValue:
    @pytest.mark.parametrize("header", ["Amount", "Recent Deal Amount", "Opportunity Amount"])
    def test_value_columns(self, board, owner, header):
        result = run(board, owner, f'Name,{header}\nA,"12,500.00"\n'.encode())
        assert result.errors == [] and result.columns[header] == "value"
        assert Lead.objects.get(board=board).value == Decimal("12500.00")

    def test_amount_wins_over_annual_revenue(self, board, owner):
        run(board, owner, b"Name,Annual Revenue,Amount\nA,5000000,1200\n")
        lead = Lead.objects.get(board=board)
        assert (lead.value, lead.attributes) == (Decimal("1200.00"), {"Annual Revenue": "5000000"})

    def test_the_fixtures_values(self, board, owner, rep, campaign):
        for name in REAL_FILES:
            run(board, owner, fixture(name), mode="good_rows")
        value = dict(Lead.objects.filter(board=board).values_list("email", "value"))
        assert value["grace.hopper@hs-1.example"] == Decimal("1200.50")  # Recent Deal Amount
        assert value["katherine@sf-0.example"] == Decimal("25000.00")  # Salesforce Amount
        assert value["radia.perlman@mk-2.example"] == Decimal("18250.00")  # Opportunity Amount


class TestStageEntered:
    def test_without_a_column_time_in_stage_starts_at_the_import(self, board, owner, rep):
        before = timezone.now()
        run(board, owner, fixture("hubspot_contacts_40.csv"), mode="good_rows")
        after = timezone.now()
        lead = Lead.objects.get(email="ada.lovelace@hs-0.example")
        assert lead.created_at.date() == dt.date(2024, 1, 1)  # the CRM's create date
        assert before <= lead.stage_entered_at <= after  # in its stage since the import
        entry = StageTransition.objects.get(lead=lead)
        assert entry.at == lead.stage_entered_at
        assert not Lead.objects.filter(board=board, stage_entered_at__lt=before).exists()

    def test_the_column_sets_when_the_lead_entered_its_stage(self, board, owner, rep, campaign):
        before = timezone.now()
        run(board, owner, fixture("salesforce_leads_40.csv"), mode="good_rows")
        katherine = Lead.objects.get(email="katherine@sf-0.example")  # 10/1/2025 1:00 AM
        entered = timezone.make_aware(dt.datetime(2025, 10, 1, 1, 0))
        assert katherine.stage_entered_at == entered
        assert StageTransition.objects.get(lead=katherine).at == entered
        dorothy = Lead.objects.get(email="dorothy@sf-1.example")  # no date in the file
        assert dorothy.stage_entered_at >= before

    def test_a_mapped_column_and_its_problems(self, board, owner):
        mapping = {"Became a Sales Qualified Lead Date": "stage_entered_at"}
        future = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%d")
        data = (
            "First Name,Email,Lifecycle Stage,Became a Sales Qualified Lead Date\n"
            "Ada,ada@x.io,salesqualifiedlead,2025-11-02 09:30\n"
            f"Bob,bob@x.io,salesqualifiedlead,{future}\n"
            "Cy,cy@x.io,salesqualifiedlead,soon\n"
        ).encode()
        result = run(board, owner, data, mapping=mapping, mode="good_rows")
        assert [(e["row"], e["field"]) for e in result.errors] == [
            (3, "Became a Sales Qualified Lead Date"),
            (4, "Became a Sales Qualified Lead Date"),
        ]
        assert "future" in result.errors[0]["message"]
        ada = Lead.objects.get(board=board)
        assert ada.stage_entered_at == timezone.make_aware(dt.datetime(2025, 11, 2, 9, 30))
        assert ada.created_at == ada.stage_entered_at  # created no later than it entered

    def test_a_moved_lead_takes_the_date_too(self, board, owner, stages):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", email="ada@x.io")
        long_ago = timezone.now() - dt.timedelta(days=10)
        Lead.objects.filter(pk=lead.pk).update(stage_entered_at=long_ago, created_at=long_ago)
        StageTransition.objects.filter(lead=lead).update(at=long_ago)
        moved = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%d")
        early = (timezone.localtime() - dt.timedelta(days=20)).strftime("%Y-%m-%d")
        refused = run(board, owner, f"Email,Stage,Stage Entered\nada@x.io,SQL,{early}\n".encode())
        assert "before the lead entered its current stage" in refused.errors[0]["message"]
        run(board, owner, f"Email,Stage,Stage Entered\nada@x.io,SQL,{moved}\n".encode())
        lead.refresh_from_db()
        entered = timezone.make_aware(dt.datetime.fromisoformat(moved))
        assert (lead.stage, lead.stage_entered_at) == (stages.SQL, entered)
        assert StageTransition.objects.get(lead=lead, source="import").at == entered


class TestOrder:
    def column(self, stage) -> list[str]:
        return list(
            Lead.objects.filter(stage=stage, archived_at__isnull=True)
            .order_by("position", "id")
            .values_list("name", flat=True)
        )

    def test_imported_leads_land_on_top_in_file_order(self, board, owner, stages):
        for name in ("Old one", "Old two"):
            lead_create(board_id=board.pk, actor=owner, name=name, stage_id=stages.New.pk)
        lead_create(
            board_id=board.pk, actor=owner, name="Mover", email="mover@x.io", stage_id=stages.MQL.pk
        )
        lead_create(board_id=board.pk, actor=owner, name="Stays", stage_id=stages.MQL.pk)
        # lead_create puts each new lead on top: New reads "Old two", "Old one".
        assert self.column(stages.New) == ["Old two", "Old one"]
        data = (
            b"Name,Email,Stage\n"
            b"Zed,zed@x.io,New\n"
            b"Amy,amy@x.io,MQL\n"
            b"Mover,mover@x.io,New\n"
            b"Bea,bea@x.io,New\n"
        )
        result = run(board, owner, data)
        assert (result.created, result.updated) == (3, 1)
        assert self.column(stages.New) == ["Zed", "Mover", "Bea", "Old two", "Old one"]
        assert self.column(stages.MQL) == ["Amy", "Stays"]

    def test_good_rows_keep_file_order_around_the_skipped(self, board, owner, stages):
        lead_create(board_id=board.pk, actor=owner, name="Old", stage_id=stages.New.pk)
        data = b"Name,Email\nA,a@x.io\nB,bad\nC,c@x.io\nD,d@x.io\n"
        run(board, owner, data, mode="good_rows")
        assert self.column(stages.New) == ["A", "C", "D", "Old"]


class TestAtomic:
    def test_a_failure_while_writing_leaves_nothing(self, board, owner, rep, monkeypatch):
        def broken(**kwargs):
            raise RuntimeError("the event log is down")

        monkeypatch.setattr(import_service, "event_append", broken)
        before = written(board)
        with pytest.raises(RuntimeError):
            run(board, owner, fixture("hubspot_contacts_40.csv"), mode="good_rows")
        assert written(board) == before


class TestCommand:
    def test_good_rows_and_the_rejected_file(self, board, rep, tmp_path, capsys):
        out = tmp_path / "rejected.csv"
        path = str(FIXTURES / "marketo_people_40.csv")
        args = ("import_leads", path, "--board", board.pk, "--no-progress", "--create-missing")
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command(*args)
        assert Lead.objects.filter(board=board).count() == 0
        call_command(*args, "--good-rows", "--rejected", str(out))
        assert "31 were created, 0 updated, 0 unchanged, 9 rows skipped" in capsys.readouterr().out
        assert Lead.objects.filter(board=board).count() == 31
        rows = rejected_rows(out.read_text())
        # --create-missing: the unknown acquisition program becomes a campaign.
        assert [int(r["Row in original file"]) for r in rows] == [3, 7, 11, 15, 23, 27, 31, 35, 39]
        assert json.loads(json.dumps(rows))[0]["Import problems"].startswith("Email Address:")
