"""Read-only share links to the meeting view: made by editors, revoked at once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from funnel.models import ShareLink
from funnel.selectors import share_link_board
from tests.conftest import client_for


def url(board) -> str:
    return f"/api/boards/{board.pk}/share-links/"


def test_editor_makes_a_link_that_opens_the_board(board, editor):
    response = client_for(editor).post(url(board), {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"/boards/{board.pk}/meeting/?share={body['token']}"
    assert len(body["token"]) >= 32 and body["expires_at"] is None
    assert share_link_board(body["token"]) == board
    listed = client_for(editor).get(url(board)).json()
    assert [link["token"] for link in listed] == [body["token"]]


def test_revoked_link_stops_working_at_once(board, owner, editor):
    token = client_for(editor).post(url(board), {}, format="json").json()["token"]
    assert client_for(owner).delete(f"{url(board)}{token}/").status_code == 204
    assert share_link_board(token) is None
    assert ShareLink.objects.get(token=token).revoked_at is not None
    # Revoking again is harmless; an unknown token is not found.
    assert client_for(owner).delete(f"{url(board)}{token}/").status_code == 204
    assert client_for(owner).delete(f"{url(board)}nope/").status_code == 404


def test_expired_link_does_not_open(board, owner):
    soon = timezone.now() + timedelta(hours=1)
    body = client_for(owner).post(url(board), {"expires_at": soon.isoformat()}, format="json")
    token = body.json()["token"]
    assert share_link_board(token) == board
    ShareLink.objects.filter(token=token).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert share_link_board(token) is None


def test_who_may_share(board, viewer, outsider, editor):
    assert client_for(viewer).post(url(board), {}, format="json").status_code == 403
    assert client_for(viewer).get(url(board)).status_code == 200
    assert client_for(outsider).post(url(board), {}, format="json").status_code == 404
    assert client_for(outsider).get(url(board)).status_code == 404
    assert client_for(None).post(url(board), {}, format="json").status_code in (401, 403)
    token = client_for(editor).post(url(board), {}, format="json").json()["token"]
    assert client_for(viewer).delete(f"{url(board)}{token}/").status_code == 403
    assert share_link_board(token) == board


def test_bad_input(board, owner, editor):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    bad = client_for(owner).post(url(board), {"expires_at": past}, format="json")
    assert bad.status_code == 400 and "expires_at" in bad.json()
    bad = client_for(owner).post(url(board), {"expires_at": "tomorrow"}, format="json")
    assert bad.status_code == 400 and "expires_at" in bad.json()
    assert share_link_board("") is None and share_link_board(None) is None
    assert share_link_board("x" * 500) is None
    # A token of another board does not revoke through this board.
    from tests.factories import BoardFactory

    other = BoardFactory(name="Other", created_by=owner)
    token = client_for(owner).post(url(other), {}, format="json").json()["token"]
    assert client_for(owner).delete(f"{url(board)}{token}/").status_code == 404
    assert share_link_board(token) == other
