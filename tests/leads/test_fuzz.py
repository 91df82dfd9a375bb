"""Generated input through the real views (issue 10): lead create, patch and upsert
bodies, CSV imports and query parameters made of valid, odd and hostile values
(lone surrogates, NUL, invisible names, other scripts' digits, dates from year 1
to 9999, deep JSON). Every answer is below 500 and documented in the OpenAPI
schema for its operation, and after every case every read of the board still
answers 200. Bounded to well under a minute; runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.services import lead_create
from tests.leads.test_input_limits import assert_board_reads

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
TRIED: Counter[str] = Counter()

HOSTILE = [
    "",
    " ",
    "\ud800",
    "a\udfffb",
    "\x00",
    "\u200b",
    "\u202e\u2066",
    "\u0661\u0662",
    "\u0967",
    "9999-12-31",
    "0001-01-01T00:00:00Z",
    "2200-01-01",
    "1899-12-31",
    "-1",
    "1e309",
    "NaN",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "x" * 300,
]
texts = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE))
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    texts,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=12,
)
deep = st.integers(min_value=1, max_value=40).map(
    lambda depth: json.loads('{"a":' * depth + "1" + "}" * depth)
)
fields = {
    "name": texts,
    "email": texts,
    "company": texts,
    "title": texts,
    "source": texts,
    "score": numbers,
    "value": numbers,
    "attributes": st.one_of(json_values, deep),
    "external_id": texts,
    "crm_id": texts,
    "campaign": numbers,
    "owner": numbers,
    "stage": numbers,
}
lead_bodies = st.dictionaries(st.sampled_from(sorted(fields)), st.just(None), max_size=6).flatmap(
    lambda keys: st.fixed_dictionaries({key: fields[key] for key in keys})
)
IMPORT_HEADERS = ["Name", "Email", "Create Date", "Amount", "Lifecycle Stage", "Campaign", "Notes"]
csv_cells = st.one_of(
    texts,
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
)
csv_rows = st.lists(st.lists(csv_cells, min_size=7, max_size=7), min_size=1, max_size=4)
GET_OPERATIONS = [
    ("/api/boards/{b}/state/", ["per_stage", "stage", "cursor", "as_of", "campaign", "owner"]),
    ("/api/boards/{b}/events/", ["after", "limit"]),
    ("/api/boards/{b}/funnel/", ["start", "end", "channel", "as_of", "score_min", "team"]),
    ("/api/boards/{b}/charts/", ["start", "end", "as_of", "q", "score_max"]),
    ("/api/boards/{b}/transitions/", ["start", "end", "limit"]),
    ("/api/boards/{b}/lead-quality/", ["start", "end"]),
    ("/api/boards/{b}/handoff/", ["limit", "offset"]),
    ("/api/boards/{b}/export.csv", ["campaign", "owner", "q", "score_min"]),
    ("/api/boards/{b}/transitions.csv", ["start", "end"]),
    ("/api/leads/", ["board", "stage", "campaign", "q", "limit", "offset"]),
    ("/api/campaigns/", ["board"]),
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.fixture(scope="module")
def documented() -> dict[tuple[str, str], set[int]]:
    """(method, path template) -> the status codes the OpenAPI schema documents."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): {int(code) for code in operation["responses"]}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


@pytest.fixture
def world(api, board, stages, owner, campaign):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", external_id="ada-1")
    return {"api": api, "board": board, "lead": lead, "stages": stages}


def checked(response, documented, method: str, template: str, kind: str) -> None:
    TRIED[kind] += 1
    assert response.status_code < 500, response.content[:500]
    codes = documented[(method, template)]
    assert response.status_code in codes, (method, template, response.status_code, codes)
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]


def send(api, method: str, url: str, body: Any):
    """JSON as client libraries write it (non-ASCII escaped, so lone surrogates pass)."""
    return getattr(api, method)(url, json.dumps(body), content_type="application/json")


@FUZZ
@given(body=lead_bodies)
def test_lead_create(world, documented, body):
    board = world["board"]
    response = send(world["api"], "post", "/api/leads/", {"board": board.pk, **body})
    checked(response, documented, "POST", "/api/leads/", "lead create")
    assert_board_reads(world["api"], board)


@FUZZ
@given(body=lead_bodies, version=st.one_of(st.none(), numbers))
def test_lead_patch(world, documented, body, version):
    if version is not None:
        body = {**body, "version": version}
    url = f"/api/leads/{world['lead'].pk}/"
    response = send(world["api"], "patch", url, body)
    checked(response, documented, "PATCH", "/api/leads/{lead_id}/", "lead patch")
    assert_board_reads(world["api"], world["board"])


@FUZZ
@given(body=lead_bodies, external_id=st.one_of(st.just("ada-1"), texts))
def test_lead_upsert(world, documented, body, external_id):
    board = world["board"]
    url = f"/api/boards/{board.pk}/leads/upsert/"
    response = send(world["api"], "post", url, {**body, "external_id": external_id})
    template = "/api/boards/{board_id}/leads/upsert/"
    checked(response, documented, "POST", template, "lead upsert")
    assert_board_reads(world["api"], board)


@FUZZ
@given(
    rows=csv_rows,
    dry_run=st.booleans(),
    create_missing=st.booleans(),
    mode=st.sampled_from(["all", "good_rows"]),
)
def test_import(world, documented, rows, dry_run, create_missing, mode):
    board = world["board"]
    lines = [",".join(IMPORT_HEADERS)]
    lines += [",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows]
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8", "surrogatepass")  # a file may carry any bytes
    upload = SimpleUploadedFile("leads.csv", data, "text/csv")
    response = world["api"].post(
        f"/api/boards/{board.pk}/import/",
        {"file": upload, "dry_run": dry_run, "create_missing": create_missing, "mode": mode},
        format="multipart",
    )
    checked(response, documented, "POST", "/api/boards/{board_id}/import/", "import")
    assert_board_reads(world["api"], board)


@FUZZ
@given(
    operation=st.sampled_from(GET_OPERATIONS),
    values=st.lists(st.one_of(texts, numbers.map(str)), min_size=1, max_size=4),
    data=st.data(),
)
def test_query_parameters(world, documented, operation, values, data):
    board = world["board"]
    template, names = operation
    params = {data.draw(st.sampled_from(names)): value for value in values}
    # Percent-encoded as a raw client may send them (UTF-8, lone surrogates too).
    query = "&".join(
        f"{name}={quote(value.encode('utf-8', 'surrogatepass'))}" for name, value in params.items()
    )
    url = f"{template.format(b=board.pk)}?{query}"
    response = world["api"].get(url)
    path = template.replace("{b}", "{board_id}")
    checked(response, documented, "GET", path, "query parameters")
    assert_board_reads(world["api"], board)


def test_report_what_was_tried():
    """Printed with -s: how many generated cases each kind ran (make bench and the
    closing note quote it)."""
    print("\nFUZZ cases:", dict(TRIED), "total", sum(TRIED.values()))
