"""What a spreadsheet does with a cell, the one rule CSV import and export share.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (after any white space: some
spreadsheets drop it) may be read as a formula, and a formula can run commands
(CSV injection). The two directions answer it differently, on purpose:

- import refuses the cells that *would run* (``runs_as_formula``): a formula
  start, except a sign followed by a number-like value ("+1 555 0100", "-5"),
  which CRM exports are full of and no spreadsheet runs;
- export quotes every cell that *might* be read as one (``neutralize``, OWASP's
  advice): it cannot know which spreadsheet will open the file.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@")
_SPACE = " \t\r\n"
# A sign followed only by digits, spaces and number punctuation is data.
_NUMBER_LIKE = re.compile(r"[\d\s().,]*")


def runs_as_formula(text: str) -> bool:
    """Would a spreadsheet run this cell? (An import refuses it.)"""
    cell = text.lstrip(_SPACE)
    if not cell.startswith(FORMULA_STARTS):
        return False
    return cell[0] in "=@" or not _NUMBER_LIKE.fullmatch(cell[1:])


def neutralize(value: Any) -> Any:
    """A text cell that a spreadsheet might read as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.lstrip(_SPACE).startswith(FORMULA_STARTS):
        return "'" + value
    return value
