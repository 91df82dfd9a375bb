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


def test_board_figure_draws_every_column_its_figures_cards_and_more():
    # New [Ann <Co>, Bob, +38 more]   Won [] (folded on the board: drawn whole here)
    from datetime import UTC, datetime

    stages = [
        {"id": 1, "name": "New", "kind": "open", "color": "#7c3aed", "count": 40,
         "value": 1500.0, "overdue": 3, "sla_days": 7, "leads": [
            {"name": "Ann", "company": "<Co> & Sons", "value": 1200, "campaign": 9,
             "stage_entered_at": datetime(2024, 12, 20, tzinfo=UTC)},
            {"name": "Bob", "company": None, "value": None,
             "stage_entered_at": "2025-01-01T12:00:00Z"},
        ]},
        {"id": 2, "name": "Won", "kind": "won", "color": "#16a34a", "count": 0, "value": 0.0,
         "overdue": 0, "leads": []},
    ]  # fmt: skip
    stamp = {"title": "Q4 <Pipeline>", "detail": "Team: Sales · Live board · Exported …"}
    fig = snapshot.board_figure(
        board_name="Q4 <Pipeline>",
        stages=stages,
        currency="EUR",
        conversions={1: 0.25, 2: None},
        stamp=stamp,
        moment=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
        width=1600,
        height=900,
        campaign_colours={9: "#f59e0b"},
    )
    *rects, labels = fig["data"]
    assert labels["type"] == "scatter" and labels["mode"] == "text"
    texts = labels["text"]
    assert texts[:2] == ["<b>Q4 &lt;Pipeline&gt;</b>", "Team: Sales · Live board · Exported …"]
    # Each column's header figures, as the board writes them (compact money).
    assert "<b>New</b>" in texts and "<b>Won</b>" in texts
    assert "<b>40 leads · €1.5K</b>" in texts and "<b>0 leads · €0</b>" in texts
    assert "<b>3 past SLA</b>" in texts and "→ 25% to Won" in texts
    # The cards: name, value, company, days in stage; then "+38 more".
    assert "<b>Ann</b>" in texts and "€1.2K" in texts and "&lt;Co&gt; &amp; Sons" in texts
    assert "13d" in texts and "0d" in texts
    assert "<b>+38 more</b>" in texts
    late = texts.index("13d")
    assert labels["textfont"]["color"][late] == snapshot.AGING  # past the 7-day SLA
    meta = fig["layout"]["meta"]
    assert [(c["id"], c["shown"], c["more"]) for c in meta["columns"]] == [(1, 2, 38), (2, 0, 0)]
    assert meta["stamp"] == stamp
    # Rectangles as filled outlines, one trace per colour: the Won column is as wide as New.
    fills = {trace["fillcolor"]: trace for trace in rects}
    assert {"#7c3aed", "#16a34a", "#f59e0b", snapshot.CARD, snapshot.MORE} <= set(fills)
    new, won = meta["columns"]
    assert abs(new["width"] - won["width"]) <= 1
    assert all(trace["fill"] == "toself" for trace in rects)
    assert fig["layout"]["width"] == 1600 and fig["layout"]["height"] == 900
    assert not fig["layout"].get("annotations") and not fig["layout"].get("shapes")


@pytest.fixture
def closing_board(board, stages, owner, campaign):
    """40 leads in New, 3 Won, 2 Lost (Won and Lost fold on the live board)."""
    for n in range(40):
        lead_create(board_id=board.pk, actor=owner, name=f"Lead {n}", company="Acme", value=100)
    for n in range(3):
        lead_create(
            board_id=board.pk, actor=owner, name=f"Won {n}", value=5000, stage_id=stages.Won.pk
        )
    for n in range(2):
        lead_create(board_id=board.pk, actor=owner, name=f"Lost {n}", stage_id=stages.Lost.pk)
    return board


@needs_chromium
def test_the_whole_board_snapshot_draws_won_and_lost_unfolded_with_their_cards(
    closing_board, api, monkeypatch
):
    from funnel.numbers import boardimage

    drawn = {}
    figure = snapshot.board_figure

    def spy(**kwargs):
        drawn.update(kwargs)
        return figure(**kwargs)

    monkeypatch.setattr(snapshot, "board_figure", spy)
    image = png_of(api, closing_board, view="board", width=3840, height=2160, score_min=0)
    assert image.size == (3840, 2160)
    # The stamp says which filters and which moment.
    assert drawn["stamp"]["title"] == "Q4 Pipeline"
    assert drawn["stamp"]["detail"].startswith("Score 0\u2013100 · Live board · Exported ")
    stages = list(Stage.objects.filter(board=closing_board).order_by("position"))
    # As the server lays it out: one column region per stage.
    counts = [{"count": s["count"], "available": len(s["leads"])} for s in drawn["stages"]]
    layout = boardimage.whole_board_layout(3840, 2160, counts)
    assert len(layout["columns"]) == len(stages) == len(drawn["stages"])
    background = hex_rgb(snapshot.PAGE)
    for stage, geo in zip(stages, layout["columns"], strict=True):
        middle = geo["x"] + geo["width"] // 2
        # The column's strip in its colour across the whole (unfolded) width.
        for x in (geo["x"] + 20, middle, geo["x"] + geo["width"] - 20):
            assert image.getpixel((x, layout["top"] + 3)) == hex_rgb(stage.color), stage.name
        # Its header has type on it (name and figures): dark pixels.
        header = image.crop(
            (geo["x"], layout["top"] + 10, geo["x"] + geo["width"], layout["listTop"])
        )
        assert min(sum(rgb) for _, rgb in header.getcolors(maxcolors=100_000)) < 300, stage.name
        # Inside the column, nowhere the page's background.
        assert image.getpixel((middle, layout["bottom"] - 4)) != background
    # Won and Lost: their cards drawn (white cards with type), all of them.
    for name, n in (("Won", 3), ("Lost", 2)):
        index = next(i for i, s in enumerate(stages) if s.name == name)
        geo = layout["columns"][index]
        assert (geo["shown"], geo["more"]) == (n, 0)
        for y in geo["cards"]:
            card = image.crop(
                (geo["x"] + 30, y + 4, geo["x"] + geo["width"] - 30, y + layout["cardH"] - 4)
            )
            colours = {rgb for _, rgb in card.getcolors(maxcolors=100_000)}
            assert hex_rgb(snapshot.CARD) in colours and len(colours) > 5, name
    # New holds more than fit: "+N more" under its cards.
    new = layout["columns"][0]
    assert new["shown"] == layout["fitWithMore"] and new["more"] == 40 - new["shown"]
    assert image.getpixel((new["x"] + 20, new["moreY"] + 4)) == hex_rgb(snapshot.MORE)


@needs_chromium
def test_the_snapshot_stamp_names_the_moment_shown(filled_board, api, monkeypatch):
    from django.utils import timezone

    drawn = {}
    figure = snapshot.board_figure
    monkeypatch.setattr(snapshot, "board_figure", lambda **kw: drawn.update(kw) or figure(**kw))
    then = timezone.now()
    png_of(api, filled_board, view="board", width=800, height=450, as_of=then.isoformat())
    when = f"{then.day} {then:%b %Y}, {then:%H:%M} UTC".replace("Sep ", "Sept ")
    assert drawn["stamp"]["detail"].startswith(f"All leads · Board as of {when} · Exported ")


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
