"""Password guessing (config.throttle): one budget per client address and per
username, shared by /login/, /admin/login/, /api/auth/token/ and password reset,
counted in the cache before the password is checked."""

from __future__ import annotations

import threading

import pytest
from django.test import Client
from rest_framework.test import APIClient

from config import rates, throttle
from tests.factories import UserFactory

PASSWORD = "pw-secret-123"
TOKEN = "/api/auth/token/"


@pytest.fixture
def limit(settings) -> int:
    settings.THROTTLE_LOGIN = "4/min"
    return 4


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True, email="root@example.com")


def token_call(username: str = "olivia", password: str = "wrong", **meta: str):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, format="json", **meta
    )


def form_call(path: str, username: str = "olivia", password: str = "wrong", **meta: str):
    return Client().post(path, {"username": username, "password": password}, **meta)


def reset_call(email: str = "nobody@example.com", **meta: str):
    return Client().post("/password-reset/", {"email": email}, **meta)


def assert_throttled_json(response) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/json")
    assert "throttled" in response.json()["detail"].lower()
    assert 1 <= int(response["Retry-After"]) <= 120  # sliding: up to two windows


def assert_throttled_page(response) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Too many attempts" in page and 'class="login-card"' in page
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 120 and f"Try again in {wait} second" in page


# The client is the socket's peer, not what it claims


def test_a_new_x_forwarded_for_is_no_fresh_quota(owner, limit):
    for n in range(limit):
        response = token_call(username=f"guess{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        assert response.status_code == 400
    for n in range(limit, limit + 6):
        assert_throttled_json(
            token_call(username=f"guess{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        )
        assert_throttled_page(
            form_call("/login/", username=f"form{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        )
    # Another machine is not affected.
    assert token_call(username="someone", REMOTE_ADDR="192.0.2.9").status_code == 400


def test_behind_a_trusted_proxy_its_x_forwarded_for_names_the_client(owner, limit, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(limit):
        # Whatever a client writes on the left, the proxy appended its real address.
        forwarded = f"192.0.2.{n}, 198.51.100.7"
        response = token_call(username=f"guess{n}", HTTP_X_FORWARDED_FOR=forwarded, **proxy)
        assert response.status_code == 400
    assert_throttled_json(
        token_call(username="guess9", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **proxy)
    )
    # Another client behind the same proxy has its own budget.
    other = token_call(username="guess9", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert other.status_code == 400
    # An untrusted peer's X-Forwarded-For is ignored: it is the client itself.
    for _ in range(limit):
        token_call(username="x", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert_throttled_json(
        token_call(username="y", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR="198.51.100.10")
    )


def test_failures_count_per_username_across_addresses(owner, limit):
    for n in range(limit):
        assert token_call(REMOTE_ADDR=f"192.0.2.{n}").status_code == 400
    # olivia's budget is spent, from anywhere, whatever the spelling, right password or not.
    assert_throttled_json(token_call(REMOTE_ADDR="192.0.2.100", password=PASSWORD))
    assert_throttled_json(token_call(username=" Olivia", REMOTE_ADDR="192.0.2.101"))
    assert_throttled_page(form_call("/login/", password=PASSWORD, REMOTE_ADDR="192.0.2.102"))
    # Another username from those addresses still gets its tries.
    assert token_call(username="dana", REMOTE_ADDR="192.0.2.0").status_code == 400


def test_the_four_ways_in_share_one_budget(owner, staff, limit):
    assert token_call().status_code == 400
    assert form_call("/login/").status_code == 200  # the form again, with its error
    assert form_call("/admin/login/", username="root").status_code == 200
    assert reset_call().status_code == 302
    assert_throttled_json(token_call(username="root", password=PASSWORD))
    assert_throttled_page(form_call("/login/", username="dana"))
    assert_throttled_page(form_call("/admin/login/", username="root", password=PASSWORD))
    assert_throttled_page(reset_call("root@example.com"))


def test_the_admin_sign_in_is_throttled(staff, limit):
    for n in range(limit):
        response = form_call("/admin/login/", username="root", REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 200
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert_throttled_page(response)
    assert "_auth_user_id" not in client.session  # the right password was never checked
    assert client.get("/admin/login/").status_code == 200  # the form itself still shows


def test_right_passwords_spend_nothing(owner, limit):
    client = Client()
    for _ in range(limit * 3):
        assert token_call(password=PASSWORD).status_code == 200
        assert (
            client.post("/login/", {"username": "olivia", "password": PASSWORD}).status_code == 302
        )
        client.logout()
    for _ in range(limit):
        assert token_call().status_code == 400
    assert_throttled_json(token_call())


def test_throttled_requests_are_not_counted_and_the_budget_comes_back(owner, limit, monkeypatch):
    clock = [1_000_040.0]  # 20 s into a minute
    monkeypatch.setattr(rates.time, "time", lambda: clock[0])
    for _ in range(limit):
        assert token_call().status_code == 400
    refused = token_call()
    assert_throttled_json(refused)
    for _ in range(20):  # hammering while throttled buys nothing and costs nothing more
        token_call()
    clock[0] += int(refused["Retry-After"]) - 1.5
    assert token_call().status_code == 429
    clock[0] += 1.5
    assert token_call().status_code == 400  # one more try, then throttled again
    assert token_call().status_code == 429
    clock[0] += 3600
    assert token_call(password=PASSWORD).status_code == 200


def test_concurrent_guesses_cannot_all_pass_the_check(db, settings):
    """Counted before the password is checked: 30 guesses at once, only the limit gets in."""
    settings.THROTTLE_LOGIN = "10/min"
    request = type("Request", (), {"META": {"REMOTE_ADDR": "192.0.2.1"}})()
    start = threading.Barrier(30)
    allowed: list[bool] = []

    def guess(n: int) -> None:
        start.wait()
        allowed.append(throttle.login_attempt(request, username=f"user{n}").allowed)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 10
