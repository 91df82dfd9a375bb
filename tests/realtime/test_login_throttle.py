"""The sign-in budget holds across real server processes: the counters live in
Redis, so two processes allow 10 failures a minute in total, not 20, however the
guesses are spread, sent at once, or dressed in new X-Forwarded-For values."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from tests.server import DEMO_PASSWORD, Server

from .conftest import needs_postgres_and_redis

GUESSES = 30


def sign_in(url: str, username: str, password: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
    )
    try:
        # Each allowed guess costs a full password hash; ten at once on a busy machine are slow.
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        if error.code == 429:
            assert int(error.headers["Retry-After"]) >= 1
            assert "throttled" in json.loads(error.read())["detail"]
        return error.code


def guesses_at_once(
    urls: list[str], username: str | None, then: Callable[[], list[int]]
) -> tuple[list[int], list[int]]:
    """``GUESSES`` wrong passwords at once, spread over the processes, each with a
    new X-Forwarded-For (and a new username unless one is given); the codes, and
    what ``then`` answered once every refusal was in.

    ``then`` runs while the allowed guesses may still be hashing (slowly, on a busy
    machine): a budget spent at once comes back no sooner than a tenth of a window
    later, and ``then`` must not wait for the slow ones to see it spent."""

    def guess(n: int) -> int:
        name = username or f"guess{n}"
        return sign_in(urls[n % len(urls)], name, "wrong", f"198.51.100.{n}")

    codes: list[int] = []
    after: list[int] = []
    with ThreadPoolExecutor(GUESSES) as pool:
        for done in as_completed([pool.submit(guess, n) for n in range(GUESSES)]):
            codes.append(done.result())
            if codes.count(429) == GUESSES - 10 and not after:
                after = then()
    return codes, after


def two_processes(cluster: Server, **env: str) -> list[str]:
    cluster.env.update(THROTTLE_LOGIN="10/min", **env)
    return [cluster.start(), cluster.start()]


@needs_postgres_and_redis
def test_two_processes_allow_ten_failures_per_address_whatever_x_forwarded_for_says(
    cluster: Server,
):
    urls = two_processes(cluster)
    # The address is spent on both processes, even for a right password.
    codes, after = guesses_at_once(
        urls, None, lambda: [sign_in(url, "marketing", DEMO_PASSWORD, "192.0.2.1") for url in urls]
    )
    print(f"THROTTLE rotated X-Forwarded-For, 2 processes: {codes.count(400)} of {GUESSES} tried")
    assert codes.count(400) == 10 and codes.count(429) == GUESSES - 10
    assert after == [429, 429]


@needs_postgres_and_redis
def test_two_processes_allow_ten_failures_per_username_from_any_address(cluster: Server):
    # The proxy (here: the test itself on 127.0.0.1) is trusted: each X-Forwarded-For
    # is another client, so only the username's budget holds them back.
    urls = two_processes(cluster, TRUSTED_PROXIES="127.0.0.1")
    codes, after = guesses_at_once(
        urls,
        "marketing",
        lambda: [
            sign_in(urls[1], "marketing", DEMO_PASSWORD, "192.0.2.200"),
            sign_in(urls[0], "sales", DEMO_PASSWORD, "192.0.2.200"),
        ],
    )
    print(f"THROTTLE one username from {GUESSES} addresses, 2 processes: {codes.count(400)} tried")
    assert codes.count(400) == 10 and codes.count(429) == GUESSES - 10
    assert after == [429, 200]
