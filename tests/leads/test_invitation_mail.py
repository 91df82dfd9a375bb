"""Invitations go out through Django's mail framework: here through its SMTP
backend to a real SMTP server on 127.0.0.1 (aiosmtpd), as in production."""

from __future__ import annotations

import re

import pytest

from leads.models import Invitation
from tests.conftest import client_for
from tests.smtp import Mailbox, free_port, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings):
    with smtp_server() as box:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = box.host, box.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "Funnelboard <board@example.com>"
        yield box


def test_an_invitation_is_mailed_over_smtp(board, owner, mailbox):
    answer = client_for(owner).post(
        f"/api/boards/{board.pk}/invitations/",
        {"email": "grace@example.com", "role": "editor", "team": "sales"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    message = mailbox.to("grace@example.com")
    assert message["From"] == "Funnelboard <board@example.com>"
    assert message["To"] == "grace@example.com"
    assert message["Subject"] == 'Olivia Owner invited you to the Funnelboard board "Q4 Pipeline"'
    body = Mailbox.body(message)
    assert answer.json()["url"] in body
    assert re.search(r"http://testserver/invite/[A-Za-z0-9_-]{43}/", body)
    assert "editor in the sales team" in body


def test_a_mail_server_that_is_down_is_a_502_and_nothing_is_kept(board, owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    answer = client_for(owner).post(
        f"/api/boards/{board.pk}/invitations/",
        {"email": "grace@example.com", "role": "editor", "team": "sales"},
        format="json",
    )
    assert answer.status_code == 502, answer.content
    assert "could not be mailed" in answer.json()["detail"]
    assert "nothing was saved" in answer.json()["detail"]
    assert not Invitation.objects.exists()
