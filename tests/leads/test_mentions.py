"""The @mentions a note names: the server's parse (``leads.services.notes``) and
the browser's highlighting (``static/board/core/notes.js``, with the pattern the
page is handed) find the same usernames."""

from __future__ import annotations

from pathlib import Path

from leads.rules import MENTION_PATTERN, page_rules
from leads.services.notes import mentioned_names
from tests.node import run_node

SPLIT = Path(__file__).with_name("mentions_split.mjs")

TEXTS = [
    "@dana call them",
    "ask @dana, then @olivia.",
    "mail dana@example.com or @sam-lee_2!",
    "(@vic) @@nope @a",
    "no mention here @",
    "@first.last and @x.y.",
    "line\n@dana\t@dana again",
]


def test_the_browser_highlights_the_mentions_the_server_reads():
    assert page_rules()["mention_pattern"] == MENTION_PATTERN
    server = [mentioned_names(text) for text in TEXTS]
    assert server[:4] == [["dana"], ["dana", "olivia"], ["sam-lee_2"], ["vic", "a"]]
    assert server[4] == [] and server[5] == ["first.last", "x.y"]
    browser = run_node(SPLIT, {"pattern": MENTION_PATTERN, "texts": TEXTS})
    # The browser shows each occurrence; the server keeps each name once.
    assert [list(dict.fromkeys(names)) for names in browser] == server
