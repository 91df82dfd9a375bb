"""Read-only share links to the meeting view: made and listed by owners and
editors, stored as a digest (the token shows once, in the answer that made it),
revoked at once by id or by token."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from funnel.models import ShareLink
from funnel.sharing import share_link_active, share_link_board, share_link_create
from tests.conftest import client_for
from tests.factories import BoardFactory

LISTED = {"id", "created_at", "created_by", "expires_at", "revoked_at", "state"}


def url(board) -> str:
    return f"/api/boards/{board.pk}/share-links/"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_editor_makes_a_link_that_opens_the_board(board, editor):
    response = client_for(editor).post(url(board), {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == LISTED | {"token", "url"}
    assert body["url"] == f"/boards/{board.pk}/meeting/?share={body['token']}"
    assert len(body["token"]) >= 32 and body["expires_at"] is None
    assert (body["state"], body["created_by"]) == ("active", "Dana Sales")
    assert share_link_board(body["token"]) == board


def test_only_a_digest_of_the_token_is_stored(board, owner):
    token = client_for(owner).post(url(board), {}, format="json").json()["token"]
    row = ShareLink.objects.values().get()
    assert row["token_hash"] == sha256(token)
    assert token not in {str(value) for value in row.values()}
    assert ShareLink.objects.get().token is None  # read back, a link knows no token


def test_the_list_shows_no_token_to_owners_and_editors(board, owner, editor):
    made = client_for(editor).post(url(board), {}, format="json").json()
    later = timezone.now() + timedelta(days=1)
    other = client_for(owner).post(url(board), {"expires_at": later.isoformat()}, format="json")
    for user in (owner, editor):
        response = client_for(user).get(url(board))
        assert response.status_code == 200
        listed = response.json()
        assert [link["id"] for link in listed] == [other.json()["id"], made["id"]]  # newest first
        assert all(set(link) == LISTED for link in listed)
        assert made["token"] not in response.content.decode()
        assert other.json()["token"] not in response.content.decode()
        assert [link["created_by"] for link in listed] == ["Olivia Owner", "Dana Sales"]
        assert [link["state"] for link in listed] == ["active", "active"]


def test_who_may_list_and_share(board, owner, viewer, outsider, editor):
    token = share_link_create(board_id=board.pk, actor=editor).token
    link = ShareLink.objects.get()
    assert client_for(viewer).get(url(board)).status_code == 403
    assert client_for(viewer).post(url(board), {}, format="json").status_code == 403
    assert client_for(outsider).post(url(board), {}, format="json").status_code == 404
    assert client_for(outsider).get(url(board)).status_code == 404
    assert client_for(None).get(url(board)).status_code in (401, 403)
    assert client_for(None).post(url(board), {}, format="json").status_code in (401, 403)
    assert client_for(viewer).delete(f"{url(board)}{token}/").status_code == 403
    assert client_for(viewer).delete(f"{url(board)}{link.pk}/").status_code == 403
    assert client_for(outsider).delete(f"{url(board)}{link.pk}/").status_code == 404
    assert share_link_board(token) == board
    assert ShareLink.objects.count() == 1


def test_revoking_by_id_stops_the_link_at_once(board, owner, editor):
    made = client_for(editor).post(url(board), {}, format="json").json()
    assert client_for(owner).delete(f"{url(board)}{made['id']}/").status_code == 204
    assert share_link_board(made["token"]) is None
    listed = client_for(owner).get(url(board)).json()
    assert [(link["state"], link["revoked_at"] is not None) for link in listed] == [
        ("revoked", True)
    ]
    # Revoking again is harmless; unknown ids are not found.
    assert client_for(owner).delete(f"{url(board)}{made['id']}/").status_code == 204
    for missing in (made["id"] + 1, 0, 2**63, 10**40):
        assert client_for(owner).delete(f"{url(board)}{missing}/").status_code == 404


def test_revoking_by_token_still_works(board, owner, editor):
    token = client_for(editor).post(url(board), {}, format="json").json()["token"]
    assert client_for(owner).delete(f"{url(board)}{token}/").status_code == 204
    assert share_link_board(token) is None
    assert ShareLink.objects.get().revoked_at is not None
    assert client_for(owner).delete(f"{url(board)}{token}/").status_code == 204
    assert client_for(owner).delete(f"{url(board)}nope/").status_code == 404


def test_expired_link_does_not_open(board, owner):
    soon = timezone.now() + timedelta(hours=1)
    body = client_for(owner).post(url(board), {"expires_at": soon.isoformat()}, format="json")
    token = body.json()["token"]
    assert share_link_board(token) == board
    ShareLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert share_link_board(token) is None
    assert client_for(owner).get(url(board)).json()[0]["state"] == "expired"


def test_bad_input(board, owner, editor):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    bad = client_for(owner).post(url(board), {"expires_at": past}, format="json")
    assert bad.status_code == 400 and "expires_at" in bad.json()
    bad = client_for(owner).post(url(board), {"expires_at": "tomorrow"}, format="json")
    assert bad.status_code == 400 and "expires_at" in bad.json()
    assert share_link_board("") is None and share_link_board(None) is None
    assert share_link_board("x" * 500) is None
    # A link of another board is not revoked through this board, by token or by id.
    other = BoardFactory(name="Other", created_by=owner)
    made = client_for(owner).post(url(other), {}, format="json").json()
    assert client_for(owner).delete(f"{url(board)}{made['token']}/").status_code == 404
    assert client_for(owner).delete(f"{url(board)}{made['id']}/").status_code == 404
    assert share_link_board(made["token"]) == other


@pytest.mark.django_db(transaction=True)
def test_links_made_before_hashing_keep_working(owner):
    """The data migration hashes each stored token: old links open as before, and
    revoked ones stay revoked. Going back revokes them all (no token comes back)."""
    board = BoardFactory(name="Q4 Pipeline", created_by=owner)
    executor = MigrationExecutor(connection)
    executor.migrate([("funnel", "0002_meeting")])
    old = executor.loader.project_state([("funnel", "0002_meeting")]).apps
    OldShareLink = old.get_model("funnel", "ShareLink")
    kept = OldShareLink.objects.create(board_id=board.pk, token="kept-" + "a" * 38)
    ended = OldShareLink.objects.create(
        board_id=board.pk, token="ended-" + "b" * 37, revoked_at=timezone.now()
    )

    executor = MigrationExecutor(connection)  # a fresh graph: the one on disk
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert ShareLink.objects.get(pk=kept.pk).token_hash == sha256(kept.token)
    assert share_link_active(kept.token).pk == kept.pk
    assert share_link_board(kept.token) == board
    assert share_link_active(ended.token) is None
    assert ShareLink.objects.get(pk=ended.pk).token_hash == sha256(ended.token)

    new_token = share_link_create(board_id=board.pk, actor=owner).token
    executor = MigrationExecutor(connection)
    executor.migrate([("funnel", "0002_meeting")])
    old = executor.loader.project_state([("funnel", "0002_meeting")]).apps
    rows = list(old.get_model("funnel", "ShareLink").objects.values("token", "revoked_at"))
    assert len(rows) == 3 and all(row["revoked_at"] is not None for row in rows)
    assert {kept.token, new_token}.isdisjoint(row["token"] for row in rows)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert share_link_active(kept.token) is None


def test_the_admin_lists_links_but_makes_none(board, owner, admin_client):
    share_link_create(board_id=board.pk, actor=owner)
    assert admin_client.get("/admin/funnel/sharelink/").status_code == 200
    link = ShareLink.objects.get()
    assert admin_client.get(f"/admin/funnel/sharelink/{link.pk}/change/").status_code == 200
    # Made there, a link would have no token anybody holds.
    assert admin_client.get("/admin/funnel/sharelink/add/").status_code == 403
