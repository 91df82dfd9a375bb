"""CSV import: files as HubSpot, Salesforce and Marketo write them, bad files, dry
runs and re-imports. Nothing is written when anything is wrong."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from leads.models import BoardEvent, Campaign, Lead, Stage, StageTransition
from leads.services import lead_create
from leads.services.imports import leads_import
from tests.conftest import client_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def written(board) -> tuple[int, int, int, int, int]:
    return (
        Lead.objects.filter(board=board).count(),
        StageTransition.objects.filter(board=board).count(),
        BoardEvent.objects.filter(board=board).count(),
        Campaign.objects.filter(board=board).count(),
        Stage.objects.filter(board=board).count(),
    )


def run(board, actor, data: bytes, **options):
    return leads_import(board_id=board.pk, actor=actor, data=data, **options)


class TestPresets:
    def test_hubspot_export(self, board, owner, stages, campaign):
        result = run(board, owner, fixture("hubspot_contacts.csv"))
        assert result.errors == []
        assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
        assert result.preset == "hubspot"
        ada = Lead.objects.get(board=board, external_id="501")
        assert (ada.name, ada.email, ada.company, ada.title) == (
            "Ada Lovelace",
            "ada@analytical.io",
            "Analytical Engines",
            "CTO",
        )
        # Lifecycle stage wins over Lead Status; HubSpot's internal names map to the funnel.
        assert ada.stage == stages.MQL
        assert Lead.objects.get(external_id="502").stage == stages.SQL
        assert Lead.objects.get(external_id="503").stage == stages.New
        assert ada.value == Decimal("1200.50")
        assert ada.campaign == campaign
        assert ada.attributes == {
            "Lead Status": "Open",
            "Phone Number": "+1 555 0100",
        }
        assert ada.source == "Organic Search"
        assert ada.created_at.isoformat().startswith("2024-03-05")
        transitions = StageTransition.objects.filter(board=board)
        assert {t.source for t in transitions} == {"import"}
        assert len({t.batch for t in transitions}) == 1
        event = BoardEvent.objects.get(board=board, type="leads.imported")
        assert event.payload["created"] == 3
        assert event.payload["batch"] == str(result.batch)

    def test_salesforce_export(self, board, owner, stages, campaign):
        result = run(board, owner, fixture("salesforce_leads.csv"))
        assert result.errors == []
        assert result.preset == "salesforce"
        katherine = Lead.objects.get(external_id="00Q5e000001AbCd")
        assert katherine.stage == stages.SQL  # "Working - Contacted"
        assert katherine.value == Decimal("250000.00")
        assert katherine.attributes == {"Rating": "Hot"}
        assert (katherine.created_at.month, katherine.created_at.day) == (3, 5)
        assert Lead.objects.get(external_id="00Q5e000001AbCe").stage == stages.New

    def test_marketo_export_latin1_semicolons_eu_dates(self, board, owner, stages, campaign):
        result = run(board, owner, fixture("marketo_leads.csv"))
        assert result.errors == []
        assert result.preset == "marketo"
        juergen = Lead.objects.get(external_id="9001")
        assert (juergen.name, juergen.company) == ("Jürgen Müller", "Müller GmbH")
        assert juergen.stage == stages.MQL
        assert juergen.score == 42
        assert juergen.attributes == {"Stadt": "München"}
        assert (juergen.created_at.day, juergen.created_at.month) == (5, 3)

    def test_explicit_mapping(self, board, owner, stages):
        data = b"Full,Mail,Phase,Notes\nAda,ada@x.io,MQL,likes tea\n"
        mapping = {"Full": "name", "Mail": "email", "Phase": "stage", "Notes": "attributes"}
        result = run(board, owner, data, mapping=mapping)
        assert result.errors == []
        lead = Lead.objects.get(board=board)
        assert (lead.name, lead.email, lead.stage) == ("Ada", "ada@x.io", stages.MQL)
        assert lead.attributes == {"Notes": "likes tea"}


class TestUpsert:
    def test_reimport_changes_nothing(self, board, owner, campaign):
        run(board, owner, fixture("hubspot_contacts.csv"))
        before = written(board)
        versions = dict(Lead.objects.values_list("id", "version"))
        again = run(board, owner, fixture("hubspot_contacts.csv"))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert written(board) == before  # no transition, no event
        assert dict(Lead.objects.values_list("id", "version")) == versions

    def test_matches_by_email_case_insensitive_and_moves(self, board, owner, stages):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", email="Ada@X.io")
        data = b"Email,Name,Stage,Company\nada@x.io,Ada,SQL,Engines\n"
        result = run(board, owner, data)
        assert (result.created, result.updated) == (0, 1)
        lead.refresh_from_db()
        assert (lead.stage, lead.company, lead.version) == (stages.SQL, "Engines", 2)
        move = StageTransition.objects.get(lead=lead, source="import")
        assert (move.from_stage, move.to_stage, move.batch) == (
            stages.New,
            stages.SQL,
            result.batch,
        )

    def test_external_id_wins_over_email(self, board, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="Old", external_id="7")
        result = run(board, owner, b"ID,Name,Email\n7,New Name,new@x.io\n")
        assert (result.created, result.updated) == (0, 1)
        lead.refresh_from_db()
        assert (lead.name, lead.email) == ("New Name", "new@x.io")

    def test_unknown_stage_and_campaign_reported_or_created(self, board, owner):
        data = b"Name,Stage,Campaign,Channel\nAda,Nurture,Spring Promo,email\n"
        before = written(board)
        result = run(board, owner, data)
        assert {(e["row"], e["field"]) for e in result.errors} == {(2, "stage"), (2, "campaign")}
        assert written(board) == before
        result = run(board, owner, data, create_missing=True)
        assert result.errors == []
        lead = Lead.objects.get(board=board)
        assert lead.stage.name == "Nurture"
        assert (lead.campaign.name, lead.campaign.channel) == ("Spring Promo", "email")
        assert result.stages_created == ["Nurture"]


class TestDryRun:
    def test_dry_run_writes_nothing_and_previews(self, board, owner, campaign):
        lead_create(board_id=board.pk, actor=owner, name="Ada", email="ada@analytical.io")
        before = written(board)
        result = run(board, owner, fixture("hubspot_contacts.csv"), dry_run=True)
        assert written(board) == before
        assert (result.created, result.updated) == (2, 1)
        actions = {(p["row"], p["action"]) for p in result.preview}
        assert actions == {(2, "update"), (3, "create"), (4, "create")}
        update = next(p for p in result.preview if p["action"] == "update")
        assert "stage" in update["changes"] and "external_id" in update["changes"]
        real = run(board, owner, fixture("hubspot_contacts.csv"))
        assert (real.created, real.updated) == (2, 1)


BAD_FILES = [
    ("empty", b"", None, "empty"),
    ("only a BOM", b"\xef\xbb\xbf\n", None, "empty"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" + bytes(range(256)), None, "binary"),
    ("not csv", b"just one line of prose without delimiters\nand another\n", None, "not a CSV"),
    ("no name or email column", b"Company,Title\nAcme,CEO\n", None, "Missing required"),
    ("broken quoting", b'Name,Email\n"Ada,ada@x.io\nBob,bob@x.io\n', None, "quoting"),
    ("duplicate email", b"Name,Email\nAda,a@x.io\nAdA,A@X.io\n", ("email", 3), "Duplicate"),
    ("invalid email", b"Name,Email\nAda,not-an-email\n", ("Email", 2), "valid email"),
    ("negative amount", b"Name,Amount\nAda,-500\n", ("Amount", 2), "negative"),
    ("odd date", b"Name,Create Date\nAda,March 5th 2024\n", ("Create Date", 2), "format"),
    ("formula", b"Name,Company\nAda,=cmd|' /C calc'!A0\n", ("Company", 2), "formula"),
    ("formula plus", b"Name,Company\nAda,+SUM(A1)\n", ("Company", 2), "formula"),
    ("formula at", b"Name,Company\n@SUM(A1),Acme\n", ("Name", 2), "formula"),
    ("wrong cell count", b"Name,Email\nAda,a@x.io,extra\n", (None, 2), "Expected 2"),
    ("score out of range", b"Name,Score\nAda,140\n", ("Score", 2), "between 0 and 100"),
]


class TestBadFiles:
    @pytest.mark.parametrize(
        ("data", "where", "words"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
    )
    def test_refused_with_a_clear_error_and_nothing_written(self, board, owner, data, where, words):
        before = written(board)
        result = run(board, owner, data)
        assert result.errors, "expected an error"
        assert written(board) == before
        first = result.errors[0]
        assert set(first) == {"row", "field", "message"}
        assert words.lower() in first["message"].lower(), first
        if where is not None:
            field, row = where
            assert any(e["row"] == row and e["field"] == field for e in result.errors), (
                result.errors
            )

    def test_one_bad_row_among_good_ones_writes_nothing(self, board, owner):
        data = b"Name,Email\nAda,a@x.io\nBob,bob@\nCy,c@x.io\n"
        result = run(board, owner, data)
        assert [(e["row"], e["field"]) for e in result.errors] == [(3, "Email")]
        assert Lead.objects.filter(board=board).count() == 0

    def test_phone_numbers_and_accepted_dates_are_data(self, board, owner):
        data = (
            b"Name,Phone,Create Date\n"
            b"Ada,+1 (555) 0100,2024-03-05T10:00:00+01:00\n"
            b"Bob,-,12/31/2023 23:59\n"
            b"Cy,,31.12.2023 23:59:59\n"
        )
        result = run(board, owner, data)
        assert result.errors == []
        assert Lead.objects.get(name="Ada").attributes == {"Phone": "+1 (555) 0100"}


class TestApi:
    def url(self, board):
        return f"/api/boards/{board.pk}/import/"

    def upload(self, data: bytes, name="leads.csv"):
        return SimpleUploadedFile(name, data, content_type="text/csv")

    def test_import_and_dry_run(self, board, owner, api, campaign):
        response = api.post(
            self.url(board),
            {"file": self.upload(fixture("hubspot_contacts.csv")), "dry_run": "true"},
            format="multipart",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["created"], body["updated"], body["errors"]) == (3, 0, [])
        assert len(body["preview"]) == 3
        assert Lead.objects.filter(board=board).count() == 0
        response = api.post(
            self.url(board),
            {"file": self.upload(fixture("hubspot_contacts.csv"))},
            format="multipart",
        )
        assert response.status_code == 200
        assert response.json()["created"] == 3
        assert "preview" not in response.json()
        assert Lead.objects.filter(board=board).count() == 3

    def test_errors_are_400_with_rows(self, board, api):
        response = api.post(
            self.url(board),
            {"file": self.upload(b"Name,Email\nAda,nope\n")},
            format="multipart",
        )
        assert response.status_code == 400
        body = response.json()
        assert body["errors"] == [
            {"row": 2, "field": "Email", "message": "'nope' is not a valid email address."}
        ]
        assert "nothing was imported" in body["detail"]

    def test_mapping_as_json_string(self, board, api, stages):
        response = api.post(
            self.url(board),
            {
                "file": self.upload(b"Who,Phase\nAda,SQL\n"),
                "mapping": json.dumps({"Who": "name", "Phase": "stage"}),
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        assert Lead.objects.get(board=board).stage == stages.SQL

    def test_bad_mapping_and_missing_file(self, board, api):
        response = api.post(
            self.url(board),
            {"file": self.upload(b"a,b\n1,2\n"), "mapping": "[1"},
            format="multipart",
        )
        assert response.status_code == 400 and "mapping" in response.json()
        assert api.post(self.url(board), {}, format="multipart").status_code == 400

    def test_too_big_is_413(self, board, api, monkeypatch):
        from leads.integrations import csv_import as importers

        monkeypatch.setattr(importers, "MAX_IMPORT_BYTES", 100)
        response = api.post(
            self.url(board), {"file": self.upload(b"Name\n" + b"Ada\n" * 100)}, format="multipart"
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["field"] == "file"

    def test_viewer_and_outsider_refused(self, board, viewer, outsider):
        data = {"file": self.upload(b"Name,Email\nAda,a@x.io\n")}
        assert client_for(viewer).post(self.url(board), data, format="multipart").status_code == 403
        data = {"file": self.upload(b"Name,Email\nAda,a@x.io\n")}
        assert (
            client_for(outsider).post(self.url(board), data, format="multipart").status_code == 404
        )
        assert Lead.objects.count() == 0

    def test_progress_is_published_to_the_board(self, board, api, monkeypatch):
        from leads.services import imports

        sent = []
        monkeypatch.setattr(
            imports, "publish", lambda board_id, text: sent.append(json.loads(text))
        )
        api.post(self.url(board), {"file": self.upload(b"Name\nAda\nBob\n")}, format="multipart")
        assert sent and all(m["type"] == "import.progress" for m in sent)
        assert sent[-1]["done"] == sent[-1]["total"]
        assert all(m["import"] is None for m in sent)  # no name given: null

        # A browser names its import; the messages carry the name back.
        sent.clear()
        data = {"file": self.upload(b"Name\nCy\n"), "progress_id": "tab-7_a", "dry_run": "true"}
        api.post(self.url(board), data, format="multipart")
        assert sent and all(m["import"] == "tab-7_a" for m in sent)
        bad = {"file": self.upload(b"Name\nCy\n"), "progress_id": "<script>"}
        answer = api.post(self.url(board), bad, format="multipart")
        assert answer.status_code == 400 and "progress_id" in answer.json()


class TestCommand:
    def test_import_leads_command(self, board, campaign, capsys):
        call_command("import_leads", str(FIXTURES / "salesforce_leads.csv"), "--board", board.pk)
        out = capsys.readouterr()
        assert "2 were created" in out.out
        assert "%" in out.err  # the progress bar
        assert Lead.objects.filter(board=board).count() == 2

    def test_dry_run_and_errors(self, board, tmp_path):
        path = tmp_path / "bad.csv"
        path.write_bytes(b"Name,Email\nAda,bad\n")
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("import_leads", str(path), "--board", board.pk, "--no-progress")
        path.write_bytes(b"Name,Email\nAda,a@x.io\n")
        call_command("import_leads", str(path), "--board", board.pk, "--dry-run", "--no-progress")
        assert Lead.objects.filter(board=board).count() == 0
