"""Ranks (leads.ranks): the fractional-indexing keys, their limits, and the same
keys from the browser's package (node, static/board/core/rank.js) on the same walks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from leads.ranks import (
    RANK_MAX_LENGTH,
    RankError,
    rank_between,
    rank_of_index,
    rank_valid,
    ranks_between,
)
from tests.node import run_node

WALK = Path(__file__).with_name("ranks_walk.mjs")


KNOWN = [
    # from rocicorp/fractional-indexing's own tests
    (None, None, "a0"),
    (None, "a0", "Zz"),
    (None, "Zz", "Zy"),
    ("a0", None, "a1"),
    ("a1", None, "a2"),
    ("a0", "a1", "a0V"),
    ("a1", "a2", "a1V"),
    ("a0V", "a1", "a0l"),
    ("Zz", "a0", "ZzV"),
    ("Zz", "a1", "a0"),
    (None, "Y00", "Xzzz"),
    ("bzz", None, "c000"),
    ("a0", "a0V", "a0G"),
    ("a0", "a0G", "a08"),
    ("b125", "b129", "b127"),
    ("a0", "a1V", "a1"),
    ("Zz", "a01", "a0"),
    (None, "a0V", "a0"),
    (None, "b999", "b99"),
    ("zzzzzzzzzzzzzzzzzzzzzzzzzzy", None, "zzzzzzzzzzzzzzzzzzzzzzzzzzz"),
    ("zzzzzzzzzzzzzzzzzzzzzzzzzzz", None, "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"),
    # neighbours sharing a rank: the card takes it too (its id orders it)
    ("a1", "a1", "a1"),
]


@pytest.mark.parametrize(("before", "after", "rank"), KNOWN)
def test_rank_between(before, after, rank):
    assert rank_between(before, after) == rank


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a1", "a0"),  # out of order
        ("a00", None),  # trailing zero
        ("a0", "a00"),
        (None, "A00000000000000000000000000"),  # below the smallest key
        ("a", None),  # integer part too short
        ("0", None),  # no head
    ],
)
def test_no_rank_for_bad_bounds(before, after):
    with pytest.raises(RankError):
        rank_between(before, after)


def test_ranks_between_are_increasing_and_inside():
    for before, after in [(None, None), ("a0", None), (None, "a0"), ("a0", "a1"), ("Zz", "a0V")]:
        for n in (0, 1, 2, 7, 100):
            made = ranks_between(before, after, n)
            assert len(made) == n == len(set(made))
            assert made == sorted(made)
            assert all(
                (before is None or before < r) and (after is None or r < after) for r in made
            )
    assert ranks_between(None, None, 3) == ["a0", "a1", "a2"]
    assert ranks_between(None, "a0", 3) == ["Zx", "Zy", "Zz"]
    assert ranks_between("b1", "b1", 2) == ["b1", "b1"]


def test_a_rank_never_grows_past_the_limit():
    # Two neighbours at the limit leave no room between them: refused, not cut.
    stem = "a0" + "1" * (RANK_MAX_LENGTH - 3)
    with pytest.raises(RankError):
        rank_between(stem + "1", stem + "2")
    assert len(rank_between(stem[:-1] + "1", stem[:-1] + "2")) == RANK_MAX_LENGTH
    assert len(rank_between(stem + "1", None)) <= RANK_MAX_LENGTH  # past the end: short


def test_a_thousand_drops_into_one_gap_stay_short():
    # Always right under the top card (next to the last dropped), or right above the
    # bottom one: the worst case, about one character per five drops.
    top, bottom = "a0", "a1"
    under, above = bottom, top
    for _ in range(1000):
        under = rank_between(top, under)
        above = rank_between(above, bottom)
    assert top < under < above < bottom
    assert len(under) < 200 and len(above) < 220, (len(under), len(above))


def test_rank_of_index_is_the_n_th_rank():
    ranks = ranks_between(None, None, 5000)
    assert [rank_of_index(i) for i in range(5000)] == ranks
    numbers = [*random.Random(5).sample(range(10**15), 2000), 62, 3905, 3906, 62**4]
    keys = [rank_of_index(n) for n in sorted(numbers)]
    assert keys == sorted(keys) and all(rank_valid(k) for k in keys)
    assert rank_of_index(61) == "az" and rank_of_index(62) == "b00"
    with pytest.raises(RankError):
        rank_of_index(-1)


def test_rank_valid():
    assert all(rank_valid(k) for k in ["a0", "Zz", "a0V", "b00", "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"])
    bad = ["", "a", "a00", "A00000000000000000000000000", "a0-", "a0 ", "a0\x00", "1.5", None, 3]
    assert not any(rank_valid(k) for k in bad)
    assert not rank_valid("a0" + "V" * (RANK_MAX_LENGTH - 1))


# The same walks in Python and in the browser's code (node)


def walk(start: list[str], ops: list[list]) -> tuple[list[str], list[str]]:
    """What ranks_walk.mjs does, with leads.ranks: every rank made, and the order."""
    keys, made, last = list(start), [], 0
    for kind, a, *rest in ops:
        gap = max(0, min(last + a if kind == "near" else a, len(keys)))
        before = keys[gap - 1] if gap > 0 else None
        after = keys[gap] if gap < len(keys) else None
        fresh = (
            ranks_between(before, after, rest[0])
            if kind == "many"
            else [rank_between(before, after)]
        )
        keys[gap:gap] = fresh
        made += fresh
        last = gap + len(fresh) - 1
    return made, keys


def walks() -> list[dict]:
    rng = random.Random(2024)
    mixed = []
    for _ in range(3000):
        roll = rng.random()
        if roll < 0.7:
            mixed.append(["at", rng.randrange(0, len(mixed) + 1)])
        elif roll < 0.9:
            mixed.append(["near", rng.choice([0, 1])])
        else:
            mixed.append(["many", rng.randrange(0, len(mixed) + 1), rng.randrange(2, 40)])
    known = [
        {
            "name": f"between {before} and {after}",
            "start": [key for key in (before, after) if key is not None],
            "ops": [["at", 0 if before is None else 1]],
        }
        for before, after, _ in KNOWN
    ]
    return [
        *known,
        {"name": "mixed", "start": [], "ops": mixed},
        {"name": "under the top card", "start": ["a0", "a1"], "ops": [["at", 1]] * 1000},
        {"name": "above the bottom card", "start": ["a0", "a1"], "ops": [["near", 1]] * 1000},
        {"name": "zigzag", "start": ["a0", "a1"], "ops": [["near", n % 2] for n in range(1000)]},
        {"name": "on top", "start": [], "ops": [["at", 0]] * 5000},
        {"name": "at the end", "start": [], "ops": [["at", 10**9]] * 5000},
        {
            "name": "many at once",
            "start": ["Zz", "a0", "a0V", "b00"],
            "ops": [["many", gap, n] for gap in range(5) for n in (2, 3, 50, 500)],
        },
    ]


def test_python_and_the_browser_make_the_same_ranks():
    cases = walks()
    browser = {result["name"]: result for result in run_node(WALK, cases)}
    for case in cases:
        made, keys = walk(case["start"], case["ops"])
        assert browser[case["name"]]["made"] == made, case["name"]
        assert browser[case["name"]]["keys"] == keys, case["name"]
        assert keys == sorted(keys), case["name"]
        if len(set(case["start"])) == len(case["start"]):  # no tie to begin with: none at all
            assert len(set(keys)) == len(keys), case["name"]
        assert max(map(len, keys)) <= RANK_MAX_LENGTH
