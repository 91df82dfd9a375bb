"""recap.md shows every name as typed: HTML and Markdown control characters in board,
people, lead and stage names render as text, never as markup (issue 10, item 12).

The recap is rendered by a real CommonMark renderer (markdown-it, with GFM tables and
strikethrough, raw HTML passed through as a permissive viewer would)."""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt

from funnel.numbers.recap import recap_markdown

BOARD = "<script>alert('board')</script> *Q4* _x_ #"
PEOPLE = ["# Eve `rm -rf` [click](http://evil.example)", "1. Mallory | **bold** ~~x~~"]
LEAD = "<img src=x onerror=alert(1)>\nRow | two ![p](http://evil.example/p.png)"
STAGES = ("> MQL & <b>co</b>", "- --- ___")
ACTOR = "+ Bob\\ <a href='http://evil.example'>x</a>"
STRUCTURE = {"h1", "h2", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td"}


def one_line(text: str) -> str:
    return " ".join(text.split())


class Reader(HTMLParser):
    """The tags of rendered HTML, and the text of each h1, li and td."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.texts: dict[str, list[str]] = {"h1": [], "li": [], "td": []}
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in self.texts:
            self.texts[tag].append("")
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data):
        if self.open:
            self.texts[self.open[-1]][-1] += data


def hostile_recap() -> dict:
    stage = {"before": {"count": 1, "value": 10.0, "conversion_to_next": 0.5}}
    stage["after"] = stage["before"]
    return {
        "board": {"name": BOARD},
        "started_at": "2026-11-22T10:00:00Z",
        "ended_at": "2026-11-22T10:30:00Z",
        "minutes": 30.0,
        "started_by": PEOPLE[0],
        "ended_by": PEOPLE[1],
        "moves_total": 1,
        "moves_truncated": False,
        "created": 0,
        "moves": [
            {
                "lead_name": LEAD,
                "from_stage_name": STAGES[0],
                "to_stage_name": STAGES[1],
                "actor": ACTOR,
                "at": "2026-11-22T10:05:00Z",
            }
        ],
        "people": [{"name": name, "moves": 1} for name in PEOPLE],
        "stages": [{"name": name, **stage} for name in STAGES],
        "overall_conversion": {"before": 0.5, "after": 0.5},
    }


def test_names_with_html_and_markdown_render_as_text():
    html = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .render(recap_markdown(hostile_recap()))
    )
    page = Reader()
    page.feed(html)
    # No markup came from a name: no script, image, link, emphasis, code, rule, quote.
    assert page.tags <= STRUCTURE, page.tags - STRUCTURE
    assert page.texts["h1"] == [f"Meeting recap: {BOARD}"]
    items = page.texts["li"]
    assert f"Started: 2026-11-22 10:00 UTC by {PEOPLE[0]}" in items
    assert f"Ended: 2026-11-22 10:30 UTC by {PEOPLE[1]}" in items
    assert f"{PEOPLE[0]}: 1 move" in items and f"{PEOPLE[1]}: 1 move" in items
    cells = page.texts["td"]
    assert [one_line(LEAD), STAGES[0], STAGES[1], ACTOR] == cells[-4:]  # the move's row
    assert STAGES[0] in cells and STAGES[1] in cells  # the stages' rows
