"""GET /api/boards/<id>/snapshot.png: a real PNG of the requested size, never a blank
image presented as success."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from funnel.numbers import snapshot
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


def test_board_figure_draws_every_header_and_card_as_text_and_rectangles():
    # New [Ann <Co>, Bob]   Won []
    from datetime import UTC, datetime

    stages = [
        {"id": 1, "name": "New", "color": "#7c3aed", "count": 2, "value": 1500.0, "leads": [
            {"name": "Ann", "company": "<Co> & Sons"}, {"name": "Bob", "company": None},
        ]},
        {"id": 2, "name": "Won", "color": "#16a34a", "count": 0, "value": 0.0, "leads": []},
    ]  # fmt: skip
    fig = snapshot.board_figure(
        board_name="Q4 <Pipeline>",
        stages=stages,
        currency="EUR",
        conversions={1: 0.25, 2: None},
        filters="team=sales",
        moment=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
        width=1600,
        height=900,
    )
    *rects, labels = fig["data"]
    assert labels["type"] == "scatter" and labels["mode"] == "text"
    texts = labels["text"]
    assert len(texts) == 1 + 2 + 2  # stamp, two headers, two cards
    assert texts[0].startswith("<b>Q4 &lt;Pipeline&gt;</b> · team=sales · 2025-01-02 03:04")
    # Values in the board's currency.
    assert "<b>New</b><br>2 · €1,500 · → 25%" in texts
    assert "<b>Won</b><br>0 · €0" in texts  # no conversion after the last stage
    assert any(t.startswith("Ann<br>") and "&lt;Co&gt; &amp; Sons" in t for t in texts)
    # Rectangles: one filled outline per rectangle (5 points and a gap), one trace per
    # colour; the white cards first, the headers and the cards' stripes over them.
    drawn = [(trace["fillcolor"], trace["x"].count(None)) for trace in rects]
    assert drawn == [("#ffffff", 2), ("#7c3aed", 1 + 2), ("#16a34a", 1)]
    assert all(trace["fill"] == "toself" for trace in rects)
    assert fig["layout"]["width"] == 1600 and fig["layout"]["height"] == 900
    assert not fig["layout"].get("annotations") and not fig["layout"].get("shapes")


@needs_chromium
def test_renders_in_a_row_reuse_the_warm_renderer(filled_board, api, monkeypatch):
    """The tab reloads in the background every RELOAD_EVERY renders: the renders
    after it wait for it, and none waits forever for a tab that never came back."""
    monkeypatch.setattr(snapshot, "RELOAD_EVERY", 2)
    png_of(api, filled_board, view="funnel", width=400, height=300)
    renderer = snapshot._renderer
    for _ in range(5):
        assert png_of(api, filled_board, view="board", width=640, height=360).size == (640, 360)
    assert snapshot._renderer is renderer
    assert renderer is not None and renderer.kaleido.reload_failure is None


@needs_chromium
def test_a_failed_render_is_a_503_and_the_next_one_starts_a_fresh_renderer(
    filled_board, api, monkeypatch
):
    png_of(api, filled_board, view="funnel", width=400, height=300)
    broken = snapshot._renderer

    def fail(self, fig, opts):
        raise RuntimeError("Chromium went away")

    with monkeypatch.context() as patch:
        patch.setattr(snapshot.Renderer, "render", fail)
        response = api.get(f"/api/boards/{filled_board.pk}/snapshot.png", {"view": "funnel"})
    assert response.status_code == 503
    assert "Chromium went away" in response.json()["detail"]
    assert snapshot._renderer is None
    assert png_of(api, filled_board, view="funnel", width=400, height=300).size == (400, 300)
    assert snapshot._renderer is not broken
