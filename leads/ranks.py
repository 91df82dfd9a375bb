"""Card ranks: the string keys that order the cards of a stage.

A rank is a key of rocicorp's fractional-indexing algorithm (base 62: an integer
part whose head letter gives its length, then a fraction without trailing
zeros). Between any two keys there is another, so placing a card writes that
card's row and no other, however often cards are dropped at one spot. The
server computes ranks with the PyPI port (``fractional_indexing``); the browser
predicts the rank of its own drop with the npm package (``fractional-indexing``);
``tests/leads/test_ranks.py`` runs both on the same sequences.

Keys compare by their bytes (ASCII): Python's ``<`` on ``str``, JavaScript's
``<`` on strings, SQLite's default BINARY collation and the column's "C"
collation on PostgreSQL (``leads.models.RankField``) agree. Cards order by
``(position, id)``: two cards may share a rank (an import appending while a move
lands at the end), and the id keeps the order total.

A key grows by about one character per five drops into the same gap (always next
to the card dropped last); ``RANK_MAX_LENGTH`` leaves room for some ten thousand
such drops, well inside PostgreSQL's limit for an index entry.

Pure: no database.
"""

from __future__ import annotations

import re

from fractional_indexing import FIError, generate_key_between, generate_n_keys_between

__all__ = [
    "RANK_MAX_LENGTH",
    "RankError",
    "rank_between",
    "rank_of_index",
    "rank_valid",
    "ranks_between",
]

RANK_MAX_LENGTH = 2048

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SHAPE = re.compile(r"[A-Za-z][0-9A-Za-z]*")


class RankError(ValueError):
    """No rank fits: the gap's keys reached ``RANK_MAX_LENGTH``, or a bound is no key."""


def rank_valid(key: object) -> bool:
    """Is ``key`` a rank (what a cursor carries back, say)?"""
    if not isinstance(key, str) or len(key) > RANK_MAX_LENGTH or not SHAPE.fullmatch(key):
        return False
    try:
        generate_key_between(key, None)  # checks the head, the length, no trailing zero
    except FIError:
        return False
    return True


def _checked(keys: list[str]) -> list[str]:
    if any(len(key) > RANK_MAX_LENGTH for key in keys):
        raise RankError(f"Ranks are at most {RANK_MAX_LENGTH} characters.")
    return keys


def rank_between(before: str | None, after: str | None) -> str:
    """A rank after ``before`` and before ``after`` (``None``: no bound on that side).

    Neighbours that share a rank leave no key strictly between them: the card takes
    that rank, and its id places it among them.
    """
    if before is not None and before == after:
        return before
    try:
        return _checked([generate_key_between(before, after)])[0]
    except FIError as error:
        raise RankError(str(error)) from None


def ranks_between(before: str | None, after: str | None, n: int) -> list[str]:
    """``n`` ranks in increasing order between ``before`` and ``after``; short ones
    (consecutive integers when a side is open)."""
    if before is not None and before == after:
        return [before] * n
    try:
        return _checked(generate_n_keys_between(before, after, n))
    except FIError as error:
        raise RankError(str(error)) from None


def rank_of_index(index: int) -> str:
    """The ``index``-th rank of ``ranks_between(None, None, ...)`` ("a0", "a1", ...,
    "az", "b00", ...) without generating those before it: ranks in the order of
    any non-negative integers (the demo's arrival order, a migration's old order)."""
    if index < 0:
        raise RankError("An index is not negative.")
    length, span = 1, len(DIGITS)
    while index >= span:
        index -= span
        length += 1
        span *= len(DIGITS)
        if length > 26:
            raise RankError("No rank that far.")
    digits = []
    for _ in range(length):
        index, digit = divmod(index, len(DIGITS))
        digits.append(DIGITS[digit])
    return chr(ord("a") + length - 1) + "".join(reversed(digits))
