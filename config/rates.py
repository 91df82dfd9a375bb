"""Counted limits, one rule for all of them: rates over a sliding window in the
cache (sign-in attempts, ``config.throttle``; server renders,
``funnel.numbers.render_limits``) and turns at a gate that give the pooled database
connection back while they wait (writers, ``leads.services.tx``; renders).

A rate such as ``10/min`` (DRF's notation: s, min, hour, day by first letter)
is counted in Django's cache, which is Redis when ``REDIS_URL`` is set, so
every process spends one budget. Each count is a sliding window over two fixed
ones: the previous window's count, weighted by how much of it still lies within
the last period, plus the current one; no burst of twice the limit across a
window's edge, two cache keys per counted thing. A hit is counted by an atomic
increment before it is judged, so a burst cannot slip between a read and a
write; a hit over the rate is given back at once (the counts are of what was
let through), and a caller may give back a hit it let through (a right
password, a render that found no turn).
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=16)
def parse_rate(rate: str, setting: str = "A rate") -> tuple[int, int]:
    """``"10/min"`` -> ``(10, 60)``: hits, seconds."""
    count, _, period = rate.partition("/")
    try:
        limit, seconds = int(count), PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"{setting} must read like 10/min (s, min, hour, day), not {rate!r}"
        ) from None
    if limit < 1:
        raise ImproperlyConfigured(f"{setting} must allow at least one")
    return limit, seconds


def seconds_to_wait(previous: int, current: int, elapsed: float, limit: int, period: int) -> float:
    """0 when a hit that makes the current window's count ``current`` is allowed,
    else how long until it would be: allowed while ``ceil(previous * share of the
    previous window still inside the last period) + current <= limit``."""
    weight = 1 - elapsed / period
    if math.ceil(previous * weight) + current <= limit:
        return 0.0
    if current <= limit:
        # Wait until enough of the previous window has slid out.
        room = limit - current
        return max(period * (1 - room / previous) - elapsed, 0.0)
    # The current window alone is full: the next one starts with it as its previous
    # (at most ``limit`` of it let through: hits over the rate are given back).
    spent = min(current - 1, limit)
    return period - elapsed + max(period * (1 - (limit - 1) / spent), 0.0)


@dataclass(frozen=True)
class Hit:
    """One hit of ``key``: its window's cache key (to give it back) and, when it was
    over the rate (and so given back already), the whole seconds to wait."""

    name: str
    wait: int | None

    @property
    def allowed(self) -> bool:
        return self.wait is None


def increment(name: str, timeout: int) -> int:
    for _ in range(3):
        cache.add(name, 0, timeout)
        try:
            return cache.incr(name)
        except ValueError:  # expired between add and incr
            continue
    raise RuntimeError(f"the cache would not count {name}")


def hit(key: str, rate: str, *, setting: str = "A rate") -> Hit:
    """Count one hit of ``key`` against ``rate``."""
    limit, period = parse_rate(rate, setting)
    window, elapsed = divmod(time.time(), period)
    name = f"rate:{period}:{key}:{int(window)}"
    # Kept for its window and the next, which weighs it.
    current = increment(name, 2 * period + 1)
    previous = int(cache.get(f"rate:{period}:{key}:{int(window) - 1}", 0))
    wait = seconds_to_wait(previous, current, elapsed, limit, period)
    if not wait:
        return Hit(name, None)
    give_back([name])
    return Hit(name, max(math.ceil(wait), 1))


def give_back(names: list[str] | tuple[str, ...]) -> None:
    for name in names:
        with suppress(ValueError):  # the window ended meanwhile
            cache.decr(name)


def turn_without_connection(turns: threading.Semaphore, timeout: float) -> bool:
    """Take one of ``turns``; if none is free now, give this thread's pooled database
    connection back while waiting (its next query takes one again), so waiting in
    line never holds a connection that a read elsewhere needs. False: none came
    within ``timeout`` seconds."""
    if turns.acquire(blocking=False):
        return True
    if not connection.in_atomic_block:
        connection.close()
    return turns.acquire(timeout=timeout)
