"""Password reset by email: Django's views in the app's pages, a link that works
once, the same answer for an address with no account, and the sign-in budget."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

RESET = "/password-reset/"


@pytest.fixture
def member(db):
    return UserFactory(username="olivia", email="olivia@example.com")


def link_in(message) -> str:
    match = re.search(r"http://testserver(/password-reset/\S+/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_sign_in_page_links_to_the_reset(db):
    page = Client().get("/login/").content.decode()
    assert f'href="{RESET}"' in page


def test_a_reset_by_email_end_to_end(member, settings):
    settings.DEFAULT_FROM_EMAIL = "board@example.com"
    client = Client()
    page = client.get(RESET)
    assert page.status_code == 200 and 'class="login-card"' in page.content.decode()

    response = client.post(RESET, {"email": "Olivia@Example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    [message] = mail.outbox
    assert message.to == ["olivia@example.com"]
    assert message.from_email == "board@example.com"
    assert "Funnelboard" in message.subject and '"olivia"' in message.body

    link = link_in(message)
    form = client.get(link, follow=True)  # Django swaps the token for a session value
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-456", "new_password2": "a-new-pass-456"},
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert "Password changed" in client.get(done["Location"]).content.decode()

    signed_in = Client().post("/login/", {"username": "olivia", "password": "a-new-pass-456"})
    assert signed_in.status_code == 302
    old = Client().post("/login/", {"username": "olivia", "password": "pw-secret-123"})
    assert old.status_code == 200
    again = Client().get(link, follow=True)  # used once: the link no longer works
    assert "This link does not work" in again.content.decode()


def test_an_address_without_an_account_gets_the_same_answer_and_no_mail(member):
    known = Client().post(RESET, {"email": "olivia@example.com"})
    unknown = Client().post(RESET, {"email": "eve@example.com"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]]


def test_reset_requests_are_throttled_per_address_and_per_email(member, settings):
    settings.THROTTLE_LOGIN = "3/min"
    for n in range(3):
        response = Client().post(RESET, {"email": "olivia@example.com"}, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
    # The address asked for is spent, from anywhere.
    refused = Client().post(RESET, {"email": "OLIVIA@example.com"}, REMOTE_ADDR="192.0.2.99")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many attempts" in refused.content.decode()
    assert len(mail.outbox) == 3
    # So is one client's budget, whichever addresses it asks for.
    for n in range(2):
        Client().post(RESET, {"email": f"x{n}@example.com"}, REMOTE_ADDR="192.0.2.0")
    assert (
        Client().post(RESET, {"email": "y@example.com"}, REMOTE_ADDR="192.0.2.0").status_code == 429
    )
    assert (
        Client().post(RESET, {"email": "y@example.com"}, REMOTE_ADDR="192.0.2.50").status_code
        == 302
    )
