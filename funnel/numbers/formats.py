"""How the numbers read in words the server writes (the recap's Markdown, the charts'
hover text): the board's rules, so a figure reads alike on the canvas and here.

A rate is written by one rule, the board's (``static/board/core/format.js``
``percent``): one decimal, rounded half up, a trailing ".0" dropped. The cases both
follow are ``static/board/tests/fixtures/percent.json``; a test on each side reads them.
"""

from __future__ import annotations

import math
from typing import Any


def percent_text(rate: Any) -> str:
    """``0.055`` -> ``5.5%``, ``0.47`` -> ``47%``, under 0.05% (above 0) ``<0.1%``,
    ``None`` -> ``""`` (the caller says what stands for a missing rate)."""
    if rate is None:
        return ""
    value = float(rate)
    if not math.isfinite(value):
        return ""
    scaled = value * 1000
    tenths = math.floor(scaled)
    if scaled - tenths >= 0.5:  # half up, as JavaScript's Math.round
        tenths += 1
    if tenths == 0 and value > 0:
        return "<0.1%"
    text = f"{tenths / 10:.1f}"
    return f"{text.removesuffix('.0')}%"
