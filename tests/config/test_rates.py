"""Counted limits (config.rates): the rate notation, the sliding window, and counts
that a concurrent burst cannot slip through."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import rates


def test_the_rate_setting_reads_like_drf():
    assert rates.parse_rate("10/min") == (10, 60)
    assert rates.parse_rate("100000/min") == (100000, 60)
    assert rates.parse_rate("3/s") == (3, 1)
    assert rates.parse_rate("5/hour") == (5, 3600)
    assert rates.parse_rate("3/s") == (3, 1)
    for bad in ("ten/min", "10", "10/fortnight", "0/min"):
        with pytest.raises(ImproperlyConfigured):
            rates.parse_rate(bad)


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "wait"),
    [
        (0, 10, 5, 0),  # the 10th failure of a fresh minute: allowed
        (0, 11, 5, 55 + 6),  # the 11th: next minute, once a tenth of this one slid out
        (10, 1, 0.5, 5.5),  # a full previous minute: 6 s into the next, one more
        (10, 5, 30, 0),  # half of it slid out: 5 + 5
        (10, 6, 30, 6),  # ... the 6th waits until 4 are left of it
        (5, 5, 59, 0),
    ],
)
def test_the_window_slides(previous, current, elapsed, wait):
    assert rates.seconds_to_wait(previous, current, elapsed, 10, 60) == pytest.approx(wait)


def test_a_window_counts_a_concurrent_burst_exactly():
    """50 hits at once against a limit of 10: exactly 10 pass (an atomic increment,
    not a read and a write that a burst slips between)."""
    key = f"burst-{time.monotonic_ns()}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        hits = list(pool.map(lambda _: rates.hit(key, "10/min"), range(50)))
    waits = [hit.wait for hit in hits]
    assert waits.count(None) == 10
    # Into the next minute, until a tenth of this one has slid out.
    assert all(1 <= wait <= 66 for wait in waits if wait is not None)


def test_the_window_slides_over_its_edge(monkeypatch):
    """10 a minute, all spent in the last seconds of one window: the next window's
    first seconds do not bring 10 more (a fixed window would let 20 through)."""
    clock = [6000.0 - 2]  # two seconds before a minute's edge
    monkeypatch.setattr(rates.time, "time", lambda: clock[0])
    key = f"edge-{time.monotonic_ns()}"
    assert all(rates.hit(key, "10/min").wait is None for _ in range(10))
    clock[0] = 6000.0 + 3
    late = [rates.hit(key, "10/min").wait for _ in range(10)]
    # 10 x 57/60 of the last window still counts: nothing passes, for about 3 s more.
    assert late == [3] * 10
    clock[0] = 6000.0 + 30  # half of the last window has slid out: half the rate is back
    waits = [rates.hit(key, "10/min").wait for _ in range(10)]
    assert waits.count(None) == 5
