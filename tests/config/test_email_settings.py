"""Mail settings from the environment: EMAIL_URL (dj-email-url) names the server;
without it the EMAIL_HOST... settings do, and with neither mail goes to the console."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.server import ROOT

READ = (
    "import json, config.settings as s; print(json.dumps({k: getattr(s, k) for k in ("
    "'EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD',"
    "'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_TIMEOUT', 'DEFAULT_FROM_EMAIL', 'SIGNUP_OPEN',"
    "'INVITATION_DAYS')}))"
)
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def mail_settings(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "SIGNUP"))}
    done = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_without_a_mail_server_mail_is_printed():
    found = mail_settings()
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert found["SIGNUP_OPEN"] is False and found["INVITATION_DAYS"] == 7


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "submission://apikey:s%40cret@smtp.example.com",
            {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": 587, "EMAIL_USE_TLS": True,
             "EMAIL_HOST_USER": "apikey", "EMAIL_HOST_PASSWORD": "s@cret"},
        ),
        (
            "smtp://mail.example.com:465/?ssl=True&timeout=5&_default_from_email=b@example.com",
            {"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": 465, "EMAIL_USE_SSL": True,
             "EMAIL_USE_TLS": False, "EMAIL_TIMEOUT": 5, "DEFAULT_FROM_EMAIL": "b@example.com"},
        ),
        ("smtp://127.0.0.1:2525",
         {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": 2525, "EMAIL_TIMEOUT": 10}),
    ],
)  # fmt: skip
def test_email_url_names_the_server(url, expected):
    found = mail_settings(EMAIL_URL=url)
    assert found["EMAIL_BACKEND"] == SMTP
    assert {key: found[key] for key in expected} == expected


def test_the_older_email_host_settings_still_work():
    found = mail_settings(EMAIL_HOST="relay.example.com", EMAIL_PORT="2525", EMAIL_USE_TLS="1")
    assert (found["EMAIL_BACKEND"], found["EMAIL_HOST"], found["EMAIL_PORT"]) == (
        SMTP,
        "relay.example.com",
        2525,
    )
    assert found["EMAIL_USE_TLS"] is True


def test_sign_up_and_the_expiry_from_the_environment():
    found = mail_settings(SIGNUP_OPEN="1", INVITATION_DAYS="2.5")
    assert found["SIGNUP_OPEN"] is True and found["INVITATION_DAYS"] == 2.5


def test_an_email_url_of_no_known_kind_stops_the_start():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    done = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "EMAIL_URL": "pigeon://x"},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "EMAIL_URL" in done.stderr
