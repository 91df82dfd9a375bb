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

The counts are sliding windows in the cache (``config.rates``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from . import rates
from .clients import request_client

KEY_PREFIX = "login-throttle"


class HasMeta(Protocol):
    """A Django request or DRF's wrapper of one."""

    @property
    def META(self) -> Mapping[str, Any]: ...


def identity(value: object) -> str | None:
    """One spelling per name: ``Olivia `` and ``olivia`` share a budget."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    return text or None


def counter_key(kind: str, value: str) -> str:
    # Hashed: names and addresses of any length and alphabet make valid, short keys,
    # and the cache holds no usernames in clear.
    digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{digest}"


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
        rates.give_back(self.keys)


def login_attempt(request: HasMeta, **names: object) -> Attempt:
    """Count one attempt from the request's client and for each given name
    (``username=...``, ``email=...``; a missing or empty name counts nothing).
    Refused (and counted for nobody) when any of them is out of budget."""
    identities = [("address", request_client(request.META))]
    identities += [(kind, value) for kind, raw in names.items() if (value := identity(raw))]
    hits = [
        rates.hit(counter_key(kind, value), settings.THROTTLE_LOGIN, setting="THROTTLE_LOGIN")
        for kind, value in identities
    ]
    waits = [hit.wait for hit in hits if hit.wait is not None]
    if waits:
        rates.give_back([hit.name for hit in hits if hit.allowed])
        return Attempt(retry_after=max(waits))
    return Attempt(keys=tuple(hit.name for hit in hits))


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
