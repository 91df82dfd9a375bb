"""What may enter a board (issue 10, items 1, 3, 4 and 12): dates in range, valid
Unicode, bounded attributes, visible names, ASCII ids, no empty query values.
Each refusal is a 4xx JSON answer that leaves nothing written, and no input
breaks a later read of the board."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from leads.models import BoardEvent, Campaign, IdempotencyKey, Lead, StageTransition
from leads.services import lead_create
from tests.conftest import client_for

repair = importlib.import_module("leads.migrations.0005_bounded_dates_and_text")


def run_repair() -> None:
    """The data migration's forwards step on the test database."""
    repair.forwards(apps, SimpleNamespace(connection=connection))


def written(board) -> tuple[int, int, int]:
    return (
        Lead.objects.filter(board=board).count(),
        StageTransition.objects.filter(board=board).count(),
        BoardEvent.objects.filter(board=board).count(),
    )


def board_reads(board) -> list[str]:
    return [
        f"/api/boards/{board.pk}/state/",
        f"/api/boards/{board.pk}/events/",
        f"/api/boards/{board.pk}/funnel/",
        f"/api/boards/{board.pk}/charts/",
        f"/api/boards/{board.pk}/lead-quality/",
        f"/api/boards/{board.pk}/handoff/",
        f"/api/boards/{board.pk}/transitions/",
        f"/api/boards/{board.pk}/export.csv",
        f"/api/boards/{board.pk}/transitions.csv",
        f"/api/leads/?board={board.pk}",
    ]


def assert_board_reads(api, board) -> None:
    for url in board_reads(board):
        response = api.get(url)
        assert response.status_code == 200, (url, response.content[:300])


def send(api, method: str, url: str, body: dict):
    """JSON as a client library writes it: non-ASCII as \\u escapes, so a lone
    surrogate arrives as ``"\\ud800"`` (the test client's own renderer cannot
    even encode one)."""
    return getattr(api, method)(url, json.dumps(body), content_type="application/json")


def upload(api, board, text: str, **options):
    data = {"file": SimpleUploadedFile("leads.csv", text.encode(), "text/csv"), **options}
    return api.post(f"/api/boards/{board.pk}/import/", data, format="multipart")


# --- 1. Dates out of range never poison a board ---


@pytest.mark.parametrize(
    "created, says",
    [
        ("9999-12-31", "between 1900-01-01 and 2200-01-01"),
        ("1899-12-31", "between 1900-01-01 and 2200-01-01"),
        ("2150-01-01", "cannot be in the future"),
    ],
)
def test_an_import_refuses_a_creation_date_out_of_range_naming_row_and_column(
    api, board, stages, created, says
):
    before = written(board)
    csv = f"Name,Email,Create Date\nAda,ada@example.com,2026-01-05\nBob,bob@example.com,{created}\n"
    response = upload(api, board, csv)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "Create Date")]
    assert says in errors[0]["message"]
    assert written(board) == before
    assert_board_reads(api, board)


def test_numbers_survive_a_date_stored_before_the_check(api, board, stages, owner):
    """A row imported with 9999-12-31 before this check: every figure still answers."""
    lead = lead_create(board_id=board.pk, actor=owner, name="Never")
    far = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    Lead.objects.filter(pk=lead.pk).update(created_at=far, stage_entered_at=far)
    StageTransition.objects.filter(lead=lead).update(at=far)
    assert_board_reads(api, board)
    today = timezone.now().date()
    assert api.get(f"/api/boards/{board.pk}/funnel/?as_of={today}").status_code == 200
    meeting = api.post(f"/api/boards/{board.pk}/meetings/", format="json").json()
    ended = api.post(f"/api/boards/{board.pk}/meetings/{meeting['id']}/end/", format="json")
    assert ended.status_code == 200, ended.content[:300]
    assert ended.json()["recap"] is not None


def test_the_migration_brings_stored_dates_into_range(board, stages, owner, campaign):
    lead = lead_create(board_id=board.pk, actor=owner, name="Never")
    far = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    old = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
    Lead.objects.filter(pk=lead.pk).update(created_at=far, stage_entered_at=old)
    StageTransition.objects.filter(lead=lead).update(at=far)
    Campaign.objects.filter(pk=campaign.pk).update(ends_on=dt.date(9999, 12, 31))
    recent = timezone.now()
    kept = lead_create(board_id=board.pk, actor=owner, name="Today")

    run_repair()

    lead.refresh_from_db()
    assert recent <= lead.created_at <= timezone.now()
    assert lead.stage_entered_at == dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    assert StageTransition.objects.get(lead=lead).at <= timezone.now()
    assert Campaign.objects.get(pk=campaign.pk).ends_on is None
    assert Lead.objects.get(pk=kept.pk).created_at == kept.created_at  # in range: untouched


def test_a_campaign_day_out_of_range_is_a_400(api, board):
    response = api.post(
        "/api/campaigns/",
        {"board": board.pk, "name": "Forever", "ends_on": "9999-12-31"},
        format="json",
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()
    assert not Campaign.objects.filter(board=board, name="Forever").exists()


# --- 3. Nothing half-written: text is valid Unicode or refused before any write ---

BAD_TEXT = ["\ud800", "ok\udfffok", "nul\x00here"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_invalid_text_in_a_new_lead_is_refused_and_nothing_is_written(api, board, stages, text):
    before = written(board)
    for body in (
        {"board": board.pk, "name": "Ada", "attributes": {"note": text}},
        {"board": board.pk, "name": "Ada", "attributes": {text: "key"}},
        {"board": board.pk, "name": f"Ada {text}"},
    ):
        response = send(api, "post", "/api/leads/", body)
        assert response.status_code == 400, response.content[:200]
        assert response.json()["detail"]
    assert written(board) == before
    assert_board_reads(api, board)


@pytest.mark.parametrize("text", BAD_TEXT)
def test_invalid_text_in_an_update_or_upsert_changes_nothing(api, board, stages, owner, text):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", attributes={"a": "1"})
    response = send(api, "patch", f"/api/leads/{lead.pk}/", {"attributes": {"a": text}})
    assert response.status_code == 400
    upsert = send(
        api,
        "post",
        f"/api/boards/{board.pk}/leads/upsert/",
        {"external_id": "x1", "name": "Bob", "attributes": {"b": text}},
    )
    assert upsert.status_code == 400
    lead.refresh_from_db()
    assert (lead.attributes, lead.version) == ({"a": "1"}, 1)
    assert not Lead.objects.filter(board=board, external_id="x1").exists()
    assert_board_reads(api, board)


def test_an_import_mapping_with_invalid_text_is_refused(api, board, stages):
    before = written(board)
    response = upload(
        api, board, "Name,Email\nAda,ada@example.com\n", mapping=json.dumps({"\ud800": "name"})
    )
    assert response.status_code == 400
    assert written(board) == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite ever kept such a row")
def test_the_migration_mends_a_lone_surrogate_stored_before_the_check(api, board, stages, owner):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    with connection.cursor() as cursor:  # as SQLite stored it: an escape in the JSON text
        cursor.execute(
            f"UPDATE {Lead._meta.db_table} SET attributes = %s WHERE id = %s",
            ['{"note": "a\\ud800b", "emoji": "\\ud83d\\ude00"}', lead.pk],
        )
    export = api.get(f"/api/boards/{board.pk}/export.csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert body.endswith("\r\n") and "a\ufffdb" in body  # the file is whole
    run_repair()
    lead.refresh_from_db()
    assert lead.attributes == {"note": "a\ufffdb", "emoji": "\U0001f600"}
    assert_board_reads(api, board)


def test_a_replayed_answer_with_a_lone_surrogate_is_mended(board, owner):
    key = IdempotencyKey.objects.create(
        user=owner, key="k", endpoint="leads.create", fingerprint="f", created_at=timezone.now()
    )
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite ever kept such a row")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IdempotencyKey._meta.db_table} SET response = %s WHERE id = %s",
            ['{"name": "\\udc00"}', key.pk],
        )
    run_repair()
    key.refresh_from_db()
    assert key.response == {"name": "\ufffd"}


# --- 4. Limits on what one lead may carry ---


@pytest.mark.parametrize(
    "attributes, says",
    [
        ({"big": "x" * (2 * 2**20)}, "the limit is 65536 bytes"),
        ({f"k{i}": "v" for i in range(201)}, "the limit is 200"),
        ({"k" * 201: "v"}, "longer than 200 characters"),
        ({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, "deeper than 5"),
        ({"": "nameless"}, "cannot be empty"),
    ],
)
def test_attributes_beyond_the_limits_are_refused_naming_the_limit(
    api, board, stages, attributes, says
):
    before = written(board)
    response = api.post(
        "/api/leads/", {"board": board.pk, "name": "Ada", "attributes": attributes}, format="json"
    )
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert written(board) == before


def test_attributes_at_the_limits_are_kept(api, board, stages):
    attributes = {f"k{i}": "v" for i in range(199)} | {"deep": {"b": {"c": {"d": {"e": 1}}}}}
    response = api.post(
        "/api/leads/", {"board": board.pk, "name": "Ada", "attributes": attributes}, format="json"
    )
    assert response.status_code == 201
    assert Lead.objects.get(pk=response.json()["id"]).attributes == attributes


def test_nesting_deep_enough_to_crash_a_parser_is_a_400(api, board, stages):
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    body = f'{{"board": {board.pk}, "name": "Ada", "attributes": {deep}}}'
    response = api.post("/api/leads/", body, content_type="application/json")
    assert response.status_code == 400
    assert "deeper than" in response.json()["detail"]


def test_a_body_over_the_upload_limit_is_a_413_json(api, board, stages, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = {"board": board.pk, "name": "Ada", "attributes": {"a": "x" * 200_000}}
    response = api.post("/api/leads/", body, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "100000 bytes" in response.json()["detail"]


def test_merged_attributes_beyond_the_limit_are_refused(api, board, stages, owner):
    lead_create(
        board_id=board.pk,
        actor=owner,
        name="Ada",
        external_id="x1",
        attributes={f"old{i}": "v" for i in range(150)},
    )
    response = api.post(
        f"/api/boards/{board.pk}/leads/upsert/",
        {"external_id": "x1", "attributes": {f"new{i}": "v" for i in range(60)}},
        format="json",
    )
    assert response.status_code == 400
    assert "the limit is 200" in response.json()["detail"]
    assert len(Lead.objects.get(external_id="x1").attributes) == 150


def test_an_import_row_with_an_oversized_attribute_is_a_row_error(api, board, stages):
    before = written(board)
    csv = f"Name,Email,Notes\nAda,ada@example.com,short\nBob,bob@example.com,{'x' * 70_000}\n"
    response = upload(api, board, csv)
    assert response.status_code == 400
    assert [e["row"] for e in response.json()["errors"]] == [3]
    assert written(board) == before


def test_an_import_too_big_is_refused_before_it_is_read(api, board, stages, monkeypatch):
    from leads.integrations import csv_import as importers

    monkeypatch.setattr(importers, "MAX_IMPORT_BYTES", 1000)
    csv = "Name,Email\n" + "".join(f"L{i},l{i}@example.com\n" for i in range(30_000))
    response = upload(api, board, csv)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


# --- 12. Names, ids and query values ---

INVISIBLE = ["\u200b", "\u2063\u200d", " \u00a0\u2060 ", "\u202e"]


@pytest.mark.parametrize("name", INVISIBLE)
def test_names_made_only_of_invisible_characters_are_refused(api, board, stages, name):
    before = written(board)
    refused = [
        api.post("/api/boards/", {"name": name}, format="json"),
        api.post(
            "/api/boards/",
            {"name": "Ok", "stages": [{"name": "New"}, {"name": name}]},
            format="json",
        ),
        api.post("/api/campaigns/", {"board": board.pk, "name": name}, format="json"),
        api.post("/api/leads/", {"board": board.pk, "name": name}, format="json"),
        api.put(
            f"/api/boards/{board.pk}/rejection-reasons/",
            {"reasons": ["Budget", name]},
            format="json",
        ),
        upload(api, board, f"Name,Email\n{name},ada@example.com\n"),
    ]
    for response in refused:
        assert response.status_code == 400, response.content[:200]
        assert response.json()["detail"]
    assert written(board) == before
    assert not Campaign.objects.filter(board=board).exists()


def test_a_visible_name_with_invisible_characters_in_it_is_kept(api, board, stages):
    response = api.post("/api/leads/", {"board": board.pk, "name": "Zoë\u200d"}, format="json")
    assert response.status_code == 201


ARABIC_ONE_TWO = "\u0661\u0662"  # "١٢": int() reads it as 12


def test_arabic_indic_digits_are_not_ids(api, board, stages, owner):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    assert api.get(f"/api/leads/?board={ARABIC_ONE_TWO}").status_code == 400
    assert api.get(f"/api/boards/{board.pk}/state/?per_stage={ARABIC_ONE_TWO}").status_code == 400
    assert api.get(f"/api/boards/{board.pk}/state/?campaign={ARABIC_ONE_TWO}").status_code == 400
    assert api.get(f"/api/boards/{board.pk}/events/?after={ARABIC_ONE_TWO}").status_code == 400
    created = api.post("/api/leads/", {"board": str(board.pk).translate(ARABIC), "name": "Bob"})
    assert created.status_code == 400
    moved = api.post(
        f"/api/leads/{lead.pk}/move/",
        {"to_stage": str(stages.MQL.pk).translate(ARABIC)},
        format="json",
    )
    assert moved.status_code == 400
    assert written(board)[0] == 1


ARABIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")


@pytest.mark.parametrize(
    "url",
    [
        "/api/leads/?limit=abc",
        "/api/leads/?limit=",
        "/api/leads/?limit=-1",
        "/api/leads/?offset=x",
        "/api/leads/?board=abc",
        "/api/leads/?board=",
        "/api/campaigns/?board=",
        "/api/boards/{b}/funnel/?start=",
        "/api/boards/{b}/transitions/?end=",
        "/api/boards/{b}/lead-quality/?start=",
        "/api/boards/{b}/events/?after=",
        "/api/boards/{b}/state/?per_stage=",
        "/api/boards/{b}/state/?owner=",
        "/api/boards/{b}/handoff/?limit=",
        # Dates out of the accepted range (item 1)
        "/api/boards/{b}/funnel/?start=0001-01-01T00:00:00Z",
        "/api/boards/{b}/charts/?end=9999-12-31T00:00:00Z",
        "/api/boards/{b}/transitions/?start=1000-01-01T00:00:00Z",
        "/api/boards/{b}/transitions.csv?end=9999-01-01T00:00:00Z",
        "/api/boards/{b}/lead-quality/?start=0001-01-01T00:00:00Z",
        "/api/boards/{b}/state/?as_of=9999-12-31",
        "/api/boards/{b}/funnel/?as_of=1000-01-01",
    ],
)
def test_invalid_empty_or_out_of_range_query_values_are_400(api, board, url):
    response = api.get(url.format(b=board.pk))
    assert response.status_code == 400, (url, response.content[:200])
    assert response.json()["detail"]


def test_an_empty_search_is_no_search(api, board):
    assert api.get(f"/api/boards/{board.pk}/state/?q=").status_code == 200
    assert api.get(f"/api/leads/?q=&board={board.pk}").status_code == 200


def test_outsiders_still_see_nothing(board, outsider):
    assert client_for(outsider).get(f"/api/boards/{board.pk}/state/").status_code == 404
