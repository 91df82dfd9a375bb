"""GET /api/boards/<id>/snapshot.png: a real PNG of the requested size, never a blank
image presented as success."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from funnel import snapshot
from leads.models import Stage
from leads.services import lead_create, lead_move

needs_chromium = pytest.mark.skipif(
    snapshot.browser_path() is None,
    reason="no Chromium on this machine (apt-get install chromium); CI has one",
)


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@pytest.fixture
def filled_board(board, stages, owner, campaign):
    for n in range(6):
        lead = lead_create(
            board_id=board.pk, actor=owner, name=f"Lead {n}", company="Acme", value=100
        )
        if n % 2:
            lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    return board


def png_of(api, board, **query):
    response = api.get(f"/api/boards/{board.pk}/snapshot.png", query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGB")


@needs_chromium
def test_board_snapshot_has_the_size_and_the_stage_header_colours(filled_board, api):
    image = png_of(api, filled_board, view="board", width=1200, height=700)
    assert image.size == (1200, 700)
    colours = {rgb for _, rgb in image.getcolors(maxcolors=1_000_000)}
    assert len(colours) > 20  # text, cards, headers: not a blank image
    for stage in Stage.objects.filter(board=filled_board):
        assert hex_rgb(stage.color) in colours, stage.name


@needs_chromium
def test_funnel_snapshot_and_as_of(filled_board, api):
    from django.utils import timezone

    image = png_of(api, filled_board, view="funnel", width=640, height=480)
    assert image.size == (640, 480)
    assert len(image.getcolors(maxcolors=1_000_000)) > 20
    marketing = Stage.objects.get(board=filled_board, name="New").color
    assert hex_rgb(marketing) in {rgb for _, rgb in image.getcolors(maxcolors=1_000_000)}
    then = png_of(api, filled_board, view="board", width=3840, height=2160, as_of=timezone.now())
    assert then.size == (3840, 2160)


@pytest.mark.parametrize(
    "query, field",
    [
        ({"width": 0}, "width"),
        ({"width": -5}, "width"),
        ({"width": 100000}, "width"),
        ({"width": 199}, "width"),
        ({"height": 0}, "height"),
        ({"height": 2161}, "height"),
        ({"height": "tall"}, "height"),
        ({"view": "poster"}, "view"),
        ({"as_of": "2999-01-01T00:00:00Z"}, "as_of"),
        ({"as_of": "whenever"}, "as_of"),
    ],
)
def test_absurd_requests_are_a_400_naming_the_field(board, api, query, field):
    response = api.get(f"/api/boards/{board.pk}/snapshot.png", query, HTTP_ACCEPT="image/png")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()


def test_snapshot_access(board, outsider):
    from tests.conftest import client_for

    assert client_for(outsider).get(f"/api/boards/{board.pk}/snapshot.png").status_code == 404
    assert client_for(None).get(f"/api/boards/{board.pk}/snapshot.png").status_code in (401, 403)


def test_no_browser_is_a_503_not_a_blank_image(board, api, monkeypatch):
    monkeypatch.setattr(snapshot, "browser_path", lambda: None)
    response = api.get(f"/api/boards/{board.pk}/snapshot.png", {"view": "funnel"})
    assert response.status_code == 503 and "Chromium" in response.json()["detail"]
