"""Production refuses unsafe defaults (issue 10, item 9).

A server with DEBUG off does not start on the embedded or a weak SECRET_KEY (real
uvicorn, and the WSGI entry point); `make run` writes a per-checkout key once and
the settings read it; `manage.py check --deploy` is silent with the README's
production settings; every answer carries the security headers, and Server-Timing
only when it is turned on.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client, override_settings

from config.safety import secret_key_problem
from tests.server import ROOT, free_port

REAL_KEY = "k3Y-" + "x7Qp9Lm2Vw" * 6  # 64 characters, many different ones
SERVER_VARS = ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "HTTPS", "ALLOWED_HOSTS")


def env_without_secrets(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh deployment: no key, no key file (unless given)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY_FILE=str(tmp_path / "no-such-key"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    env.update(extra)
    return env


def python(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def settings_of(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    done = python(env, code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("django-insecure-embedded-default-only-for-DEBUG=1", "embedded default"),
        ("django-insecure-" + "a1b2c3d4e5" * 6, "embedded default"),
        ("x" * 10 + "abcdefghij" * 3 + "123456789", "49 characters"),
        ("ab" * 40, "fewer than 5 different"),
    ],
)
def test_weak_keys_are_named(key, why):
    assert why in (secret_key_problem(key) or "")


def test_a_real_key_passes():
    assert secret_key_problem(REAL_KEY) is None


def test_uvicorn_with_debug_off_refuses_to_start_without_a_real_key(tmp_path):
    """The real server, as production would start it, with SECRET_KEY left unset."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    for env in (
        env_without_secrets(tmp_path, DEBUG="0"),
        env_without_secrets(tmp_path, SECRET_KEY="too-short-to-be-a-secret"),
    ):
        started = time.monotonic()
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0
        assert "Refusing to serve with DEBUG off: SECRET_KEY" in done.stderr
        assert time.monotonic() - started < 30


def test_the_wsgi_entry_point_refuses_too(tmp_path):
    done = python(env_without_secrets(tmp_path), "import config.wsgi")
    assert done.returncode != 0
    assert "Refusing to serve with DEBUG off: SECRET_KEY is the embedded default" in done.stderr


def test_debug_on_or_a_real_key_serves(tmp_path):
    assert python(env_without_secrets(tmp_path, DEBUG="1"), "import config.asgi").returncode == 0
    done = python(env_without_secrets(tmp_path, SECRET_KEY=REAL_KEY), "import config.asgi")
    assert done.returncode == 0, done.stderr


def test_make_run_writes_a_key_once_and_the_settings_read_it(tmp_path):
    key_file = tmp_path / "secret"
    make = ["make", "--no-print-directory", f"SECRET_KEY_FILE={key_file}", str(key_file)]
    first = subprocess.run(make, cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    key = key_file.read_text().strip()
    assert secret_key_problem(key) is None
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # only its owner reads it
    subprocess.run(make, cwd=ROOT, check=True, capture_output=True)
    assert key_file.read_text().strip() == key  # once per checkout: sessions survive

    env = env_without_secrets(tmp_path, SECRET_KEY_FILE=str(key_file))
    assert settings_of(env, "SECRET_KEY") == {"SECRET_KEY": key}
    assert python(env, "import config.asgi").returncode == 0
    # SECRET_KEY in the environment wins over the file.
    env["SECRET_KEY"] = REAL_KEY
    assert settings_of(env, "SECRET_KEY") == {"SECRET_KEY": REAL_KEY}


def test_check_deploy_is_silent_with_the_documented_production_settings(tmp_path):
    env = env_without_secrets(
        tmp_path, SECRET_KEY=REAL_KEY, HTTPS="1", ALLOWED_HOSTS="board.example.com"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout
    # Without HTTPS=1 the same check names what is missing.
    del env["HTTPS"]
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in done.stderr


def test_https_switch_and_defaults(tmp_path):
    names = (
        "ALLOWED_HOSTS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "SERVER_TIMING",
    )
    plain = settings_of(env_without_secrets(tmp_path), *names)
    assert plain["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]  # no testserver
    assert not plain["SESSION_COOKIE_SECURE"] and not plain["SECURE_SSL_REDIRECT"]
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["SECURE_PROXY_SSL_HEADER"] is None
    assert plain["SERVER_TIMING"] is False
    https = settings_of(env_without_secrets(tmp_path, HTTPS="1"), *names)
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"]
    assert https["SECURE_SSL_REDIRECT"] and https["SECURE_HSTS_SECONDS"] == 31536000
    assert https["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_every_page_carries_the_security_headers_and_no_server_timing():
    response = Client().get("/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "Server-Timing" not in response
    # Both cookies are HttpOnly; scripts read the CSRF token from the page.
    assert response.cookies["csrftoken"]["httponly"] is True
    token = response.context["csrf_token"]
    assert f'<meta name="csrf-token" content="{token}">' in response.content.decode()


@pytest.mark.django_db
def test_server_timing_when_turned_on():
    with override_settings(SERVER_TIMING=True):
        response = Client().get("/healthz")
    assert response["Server-Timing"].startswith("app;dur=")


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
)
def test_behind_https_only_a_trusted_proxy_may_say_https():
    client = Client()
    assert client.get("/login/").status_code == 301  # plain HTTP goes to HTTPS
    assert client.get("/healthz").status_code == 200  # a load balancer's check may not
    # A client that reaches the server directly cannot claim it came over HTTPS.
    claimed = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert claimed.status_code == 301
    assert claimed["Location"].startswith("https://")
    with override_settings(TRUSTED_PROXIES=["127.0.0.1"]):
        proxied = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
