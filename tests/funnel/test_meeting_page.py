"""The meeting page: for members, and for anyone holding a working share link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from funnel.models import ShareLink
from funnel.sharing import share_link_create
from tests.conftest import config_of
from tests.factories import BoardFactory


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(board, share: str | None = None) -> str:
    return f"/boards/{board.pk}/meeting/" + (f"?share={share}" if share is not None else "")


@pytest.fixture
def link(board, owner):
    return share_link_create(board_id=board.pk, actor=owner)


def test_member_gets_the_board_in_meeting_mode(board, editor):
    response = signed_in(editor).get(url(board))
    assert response.status_code == 200
    config = config_of(response)
    assert config["board"] == {
        "id": board.pk,
        "name": "Q4 Pipeline",
        "currency": "USD",
        "archived": False,
    }
    assert config["me"]["role"] == "editor" and config["me"]["username"] == "dana"
    assert config["meeting"] == {
        "share": None,
        "guest": False,
        "expiresAt": None,
        "running": None,
        "boardUrl": f"/boards/{board.pk}/",
    }
    html = response.content.decode()
    assert 'class="page-board page-meeting"' in html
    assert "/static/css/meeting.css" in html and 'id="meeting-start"' in html
    assert f'href="/boards/{board.pk}/"' in html  # Leave


def test_page_tells_which_meeting_runs(board, editor):
    started = signed_in(editor).post(f"/api/boards/{board.pk}/meetings/")
    assert started.status_code == 201
    running = config_of(signed_in(editor).get(url(board)))["meeting"]["running"]
    assert running["id"] == started.json()["id"] and running["started_by"] == "Dana Sales"


def test_the_board_page_links_to_the_meeting(board, viewer):
    html = signed_in(viewer).get(f"/boards/{board.pk}/").content.decode()
    assert f'id="meeting-open" class="button" href="/boards/{board.pk}/meeting/"' in html


def test_a_share_link_opens_the_meeting_without_an_account(board, link):
    response = Client().get(url(board, link.token))
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    config = config_of(response)
    assert config["me"] == {
        "id": None,
        "username": "",
        "name": "Guest",
        "role": "viewer",
        "team": None,
        "may_edit": False,
        "may_judge": False,
        "may_set_up": False,
    }
    assert config["meeting"]["share"] == link.token and config["meeting"]["guest"] is True
    assert config["meeting"]["boardUrl"] is None
    html = response.content.decode()
    assert "page-guest" in html and 'id="meeting-leave"' not in html


def test_without_a_link_the_meeting_needs_a_login_and_membership(board, outsider):
    response = Client().get(url(board))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert signed_in(outsider).get(url(board)).status_code == 404
    assert signed_in(outsider).get(f"/boards/{2**63}/meeting/").status_code == 404


def test_a_signed_in_non_member_with_a_link_is_a_guest(board, link, outsider):
    response = signed_in(outsider).get(url(board, link.token))
    assert response.status_code == 200
    assert config_of(response)["meeting"]["guest"] is True


def test_a_link_that_does_not_work_says_why(board, link, owner):
    client = Client()
    unknown = client.get(url(board, "nope"))
    assert unknown.status_code == 404
    assert "This share link does not exist" in unknown.content.decode()
    other = BoardFactory(name="Other", created_by=owner)
    assert client.get(url(other, link.token)).status_code == 404  # another board's link

    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    revoked = client.get(url(board, link.token))
    assert revoked.status_code == 403
    assert "This share link was revoked" in revoked.content.decode()

    old = share_link_create(
        board_id=board.pk, actor=owner, expires_at=timezone.now() + timedelta(hours=1)
    )
    ShareLink.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    expired = client.get(url(board, old.token))
    assert expired.status_code == 403
    assert "This share link has expired" in expired.content.decode()
    assert client.get(url(board, "x" * 500)).status_code == 404
    assert client.get(url(board, "")).status_code == 404


def test_a_member_with_a_link_gets_the_members_view(board, link, editor):
    config = config_of(signed_in(editor).get(url(board, link.token)))
    assert config["meeting"]["guest"] is False and config["meeting"]["share"] is None
