"""Password guessing, throttled: one budget of ``settings.THROTTLE_LOGIN`` (e.g.
``10/min``) per client address and one per username (or per email address asked
for a reset), shared by every way in: ``/login/``, ``/admin/login/``,
``/api/auth/token/`` and the password reset form.

The counters live in Django's cache, which is Redis when ``REDIS_URL`` is set, so
every process spends the same budget: N workers allow 10 a minute, not 10·N.

An attempt is counted *before* the password is checked (an atomic increment) and
given back when the password was right, so only failures spend the budget and
concurrent guesses cannot all pass a check that none of them has counted yet.
A refused attempt is given back too: the counters say how many passwords were
really tried, and ``Retry-After`` tells when the next one will be.

Each counter is a sliding window over two fixed ones: the previous window's count,
weighted by how much of it still lies within the last period, plus the current one.
No burst of twice the limit across a window's edge, two cache keys per identity.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from .clients import request_client

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KEY_PREFIX = "login-throttle"


class HasMeta(Protocol):
    """A Django request or DRF's wrapper of one."""

    @property
    def META(self) -> Mapping[str, Any]: ...


@lru_cache(maxsize=8)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/min"`` -> ``(10, 60)``: attempts, seconds (DRF's notation)."""
    count, _, period = rate.partition("/")
    try:
        limit, seconds = int(count), PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"THROTTLE_LOGIN must read like 10/min (s, min, hour, day), not {rate!r}"
        ) from None
    if limit < 1:
        raise ImproperlyConfigured("THROTTLE_LOGIN must allow at least one attempt")
    return limit, seconds


def identity(value: object) -> str | None:
    """One spelling per name: ``Olivia `` and ``olivia`` share a budget."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    return text or None


def counter_key(kind: str, value: str, window: int, period: int) -> str:
    # Hashed: names and addresses of any length and alphabet make valid, short keys,
    # and the cache holds no usernames in clear.
    digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{period}:{digest}:{window}"


def seconds_to_wait(previous: int, current: int, elapsed: float, limit: int, period: int) -> float:
    """0 when an attempt that makes the current window's count ``current`` is
    allowed, else how long until it would be.

    Allowed while ``ceil(previous * share of the previous window still inside the
    last period) + current <= limit``."""
    weight = 1 - elapsed / period
    if math.ceil(previous * weight) + current <= limit:
        return 0.0
    if current <= limit:
        # Wait until enough of the previous window has slid out.
        room = limit - current
        return max(period * (1 - room / previous) - elapsed, 0.0)
    # The current window alone is full: the next one starts with it as its previous.
    spent = current - 1
    return period - elapsed + max(period * (1 - (limit - 1) / spent), 0.0)


def _increment(key: str, timeout: int) -> int:
    for _ in range(3):
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            continue
    raise RuntimeError(f"the cache would not count {key}")


@dataclass(frozen=True)
class Attempt:
    """One password try: allowed (holding its counters) or refused for ``retry_after`` s."""

    keys: tuple[str, ...] = ()
    retry_after: int = 0

    @property
    def allowed(self) -> bool:
        return self.retry_after == 0

    def succeeded(self) -> None:
        """The password was right: the attempt is given back (failures spend the budget)."""
        _give_back(self.keys)


def _give_back(keys: tuple[str, ...]) -> None:
    for key in keys:
        with contextlib.suppress(ValueError):  # the window ended meanwhile
            cache.decr(key)


def login_attempt(request: HasMeta, **names: object) -> Attempt:
    """Count one attempt from the request's client and for each given name
    (``username=...``, ``email=...``; a missing or empty name counts nothing).
    Refused (and counted for nobody) when any of them is out of budget."""
    limit, period = parse_rate(settings.THROTTLE_LOGIN)
    window, elapsed = divmod(time.time(), period)
    identities = [("address", request_client(request.META))]
    identities += [(kind, value) for kind, raw in names.items() if (value := identity(raw))]
    current = tuple(counter_key(kind, value, int(window), period) for kind, value in identities)
    previous = [counter_key(kind, value, int(window) - 1, period) for kind, value in identities]
    # Kept for the window and the next, which weighs it.
    counts = [_increment(key, 2 * period + 1) for key in current]
    before = cache.get_many(previous)
    wait = max(
        seconds_to_wait(int(before.get(old, 0)), count, elapsed, limit, period)
        for old, count in zip(previous, counts, strict=True)
    )
    if wait:
        _give_back(current)
        return Attempt(retry_after=max(math.ceil(wait), 1))
    return Attempt(keys=current)


def throttled_page(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    """429 for a form (sign-in, admin sign-in, password reset): a page, not JSON."""
    context = {"retry_after": attempt.retry_after, "back": request.get_full_path()}
    response = render(request, "throttled.html", context, status=429)
    response["Retry-After"] = str(attempt.retry_after)
    return response


View = Callable[..., HttpResponseBase]


def _guarded(view: View, field: str, kind: str, *, sign_in: bool) -> View:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        attempt = login_attempt(request, **{kind: request.POST.get(field)})
        if not attempt.allowed:
            return throttled_page(request, attempt)
        response = view(request, *args, **kwargs)
        # A sign-in form answers a right password with a redirect, having logged in.
        if sign_in and response.status_code in (301, 302, 303) and request.user.is_authenticated:
            attempt.succeeded()
        return response

    return guarded


def login_form(view: View) -> View:
    """A sign-in form's view (POST ``username``, ``password``), throttled."""
    return _guarded(view, "username", "username", sign_in=True)


def password_reset_form(view: View) -> View:
    """The password reset request (POST ``email``): every request spends the budget
    of the address and of the email address asked for."""
    return _guarded(view, "email", "email", sign_in=False)
