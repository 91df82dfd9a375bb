"""What a read-only share link opens on the REST API: the meeting view's reads of
its own board, nothing else, and nothing at all once it is revoked or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIClient, APIRequestFactory

from funnel.meetings import meeting_end, meeting_start
from funnel.models import ShareLink
from funnel.permissions import SHARE_READABLE
from funnel.sharing import share_link_create
from leads.access import ShareViewer, membership_for_write
from leads.errors import PermissionDenied
from leads.models import Lead
from leads.selectors import board_get, boards_with_role
from leads.services import lead_create, lead_feedback_record, lead_move
from tests.conftest import client_for
from tests.factories import BoardFactory


@pytest.fixture
def link(board, owner):
    return share_link_create(board_id=board.pk, actor=owner)


@pytest.fixture
def lead(board, owner, stages):
    return lead_create(board_id=board.pk, actor=owner, name="Ada", company="Analytical")


def guest_get(path: str, token: str, **extra):
    return client_for(None).get(path, HTTP_X_SHARE_TOKEN=token, **extra)


READS = [
    "/api/boards/{id}/",
    "/api/boards/{id}/state/",
    "/api/boards/{id}/state/?as_of={now}",
    "/api/boards/{id}/events/?after=0",
    "/api/boards/{id}/funnel/",
    "/api/boards/{id}/transitions/",
    "/api/boards/{id}/lead-quality/",
    "/api/boards/{id}/handoff/",
]


def test_a_link_reads_what_the_meeting_view_shows(board, link, lead):
    now = timezone.now().isoformat().replace("+00:00", "Z")
    for path in READS:
        response = guest_get(path.format(id=board.pk, now=now), link.token)
        assert response.status_code == 200, (path, response.json())
    state = guest_get(f"/api/boards/{board.pk}/state/", link.token).json()
    assert state["board"]["me"]["role"] == "viewer"
    assert [card["name"] for stage in state["stages"] for card in stage["leads"]] == ["Ada"]


def test_a_link_in_a_query_opens_nothing(board, link, lead, stages):
    """Only the header carries a share token: one in a URL would sit in access logs."""
    client = client_for(None)
    for path in (
        f"/api/boards/{board.pk}/state/?share={link.token}",
        f"/api/boards/{board.pk}/events/?after=0&share={link.token}",
    ):
        assert client.get(path).status_code in (401, 403), path
    move = client.post(
        f"/api/leads/{lead.pk}/move/?share={link.token}", {"to_stage": stages.MQL.pk}
    )
    assert move.status_code in (401, 403)
    assert Lead.objects.get(pk=lead.pk).stage_id == stages.New.pk


def test_a_link_opens_nothing_else(board, link, lead, stages, campaign):
    forbidden_reads = [
        "/api/boards/",
        f"/api/boards/{board.pk}/members/",
        f"/api/boards/{board.pk}/export.csv",
        f"/api/boards/{board.pk}/transitions.csv",
        f"/api/boards/{board.pk}/webhooks/",
        f"/api/boards/{board.pk}/share-links/",
        f"/api/boards/{board.pk}/meetings/",
        f"/api/boards/{board.pk}/snapshot.png",
        f"/api/boards/{board.pk}/rejection-reasons/",
        "/api/leads/",
        f"/api/leads/{lead.pk}/",
        f"/api/leads/{lead.pk}/transitions/",
        "/api/campaigns/",
    ]
    for path in forbidden_reads:
        response = guest_get(path, link.token)
        assert response.status_code == 403, path
        assert response.json()["detail"] == "A share link only opens the meeting view of its board."
    client = client_for(None)
    writes = [
        ("post", f"/api/leads/{lead.pk}/move/", {"to_stage": stages.MQL.pk}),
        ("patch", f"/api/leads/{lead.pk}/", {"name": "Eve"}),
        ("post", "/api/leads/", {"board": board.pk, "name": "Eve"}),
        ("post", f"/api/campaigns/{campaign.pk}/move/", {"from_stage": 1, "to_stage": 2}),
        ("post", f"/api/boards/{board.pk}/undo/", {"transition": 1}),
        ("post", f"/api/boards/{board.pk}/share-links/", {}),
        ("delete", f"/api/boards/{board.pk}/share-links/{link.token}/", None),
        ("post", f"/api/boards/{board.pk}/members/", {"username": "x", "role": "editor"}),
        ("post", f"/api/leads/{lead.pk}/feedback/", {"verdict": "accepted"}),
        ("post", f"/api/boards/{board.pk}/state/", {}),
    ]
    for method, path, body in writes:
        response = getattr(client, method)(path, body, format="json", HTTP_X_SHARE_TOKEN=link.token)
        assert response.status_code == 403, (method, path)
    lead.refresh_from_db()
    assert (lead.name, lead.stage_id) == ("Ada", stages.New.pk)
    assert ShareLink.objects.get(pk=link.pk).revoked_at is None


def test_a_link_opens_only_its_own_board(board, link, owner):
    other = BoardFactory(name="Other", created_by=owner)
    for path in (f"/api/boards/{other.pk}/state/", f"/api/boards/{other.pk}/funnel/"):
        assert guest_get(path, link.token).status_code in (403, 404)
    # Even past the permission, the selectors see only the link's board.
    viewer = ShareViewer(board_id=board.pk, link_id=link.pk)
    assert list(boards_with_role(viewer)) == [board]
    assert board_get(board_id=board.pk, user=viewer).my_role == "viewer"  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="Board not found"):
        board_get(board_id=other.pk, user=viewer)


def test_a_revoked_or_expired_link_stops_at_once(board, link, owner):
    path = f"/api/boards/{board.pk}/state/"
    assert guest_get(path, link.token).status_code == 200
    client_for(owner).delete(f"/api/boards/{board.pk}/share-links/{link.token}/")
    refused = guest_get(path, link.token)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This share link was revoked or has expired."

    soon = share_link_create(
        board_id=board.pk, actor=owner, expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert guest_get(path, soon.token).status_code == 200
    ShareLink.objects.filter(pk=soon.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert guest_get(path, soon.token).status_code == 403
    for token in ("", "nope", "x" * 500):
        assert guest_get(path, token).status_code == 403


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)  # a real session, so the authentication classes run
    return client


def test_an_explicit_link_wins_over_a_session(board, link, owner, outsider):
    """A signed-in person who is not a member follows the meeting through a link."""
    path = f"/api/boards/{board.pk}/state/"
    assert signed_in(outsider).get(path).status_code == 404
    response = signed_in(outsider).get(path, HTTP_X_SHARE_TOKEN=link.token)
    assert response.status_code == 200 and response.json()["board"]["me"]["role"] == "viewer"
    # ... and a member's writes through a link are the link's: refused.
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    move = signed_in(owner).post(
        f"/api/leads/{lead.pk}/move/", {"to_stage": lead.stage_id}, HTTP_X_SHARE_TOKEN=link.token
    )
    assert move.status_code == 403


def test_a_share_viewer_fails_closed_where_it_is_not_known(board, link):
    """Views with their own permission classes, and Django's login checks, keep it out."""
    request = APIRequestFactory().get("/")
    request.user = ShareViewer(board_id=board.pk, link_id=link.pk)
    assert not IsAuthenticated().has_permission(request, None)
    assert not request.user.is_authenticated and request.user.pk is None


def test_services_refuse_a_share_viewer(board, link, owner, stages):
    viewer = ShareViewer(board_id=board.pk, link_id=link.pk)
    with pytest.raises(PermissionDenied):
        membership_for_write(board.pk, viewer)
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    with pytest.raises(PermissionDenied):
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=viewer)


def test_members_are_as_before(board, owner, viewer, outsider):
    path = f"/api/boards/{board.pk}/state/"
    assert client_for(owner).get(path).json()["board"]["me"]["role"] == "owner"
    assert client_for(viewer).get(path).json()["board"]["me"]["role"] == "viewer"
    assert client_for(outsider).get(path).status_code == 404
    assert client_for(None).get(path).status_code in (401, 403)


def test_every_share_readable_name_is_a_route():
    for name in SHARE_READABLE:
        kwargs = {"board_id": 1}
        if "meeting" in name:
            kwargs["meeting_id"] = 1
        assert reverse(name, kwargs=kwargs).startswith("/api/boards/1/")


def keys_and_texts(value, keys=None, texts=None):
    """Every key and every text anywhere in a JSON value."""
    keys = set() if keys is None else keys
    texts = set() if texts is None else texts
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(key)
            keys_and_texts(item, keys, texts)
    elif isinstance(value, list):
        for item in value:
            keys_and_texts(item, keys, texts)
    elif isinstance(value, str):
        texts.add(value)
    return keys, texts


@pytest.fixture
def busy_board(board, owner, editor, stages, campaign):
    """Moves, a verdict and an ended meeting by named people: every answer a guest
    reads has somebody in it."""
    meeting = meeting_start(board_id=board.pk, actor=editor)
    lead = lead_create(
        board_id=board.pk, actor=editor, name="Ada", campaign_id=campaign.pk, owner=editor
    )
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=editor)
    lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    lead_feedback_record(lead_id=lead.pk, actor=editor, verdict="accepted")
    other = lead_create(board_id=board.pk, actor=owner, name="Bob", owner=owner)
    lead_move(lead_id=other.pk, to_stage_id=stages.SQL.pk, actor=owner)
    meeting_end(board_id=board.pk, meeting_id=meeting.pk, actor=owner)
    return meeting


GUEST_READS = [
    "/api/boards/{id}/",
    "/api/boards/{id}/state/",
    "/api/boards/{id}/state/?as_of={now}",
    "/api/boards/{id}/events/?after=0",
    "/api/boards/{id}/funnel/",
    "/api/boards/{id}/charts/",
    "/api/boards/{id}/transitions/",
    "/api/boards/{id}/lead-quality/",
    "/api/boards/{id}/handoff/",
    "/api/boards/{id}/meetings/{meeting}/",
]


def test_guests_see_display_names_never_usernames(board, link, busy_board, owner):
    now = timezone.now().isoformat().replace("+00:00", "Z")
    usernames = {"olivia", "dana"}
    for path in GUEST_READS:
        path = path.format(id=board.pk, now=now, meeting=busy_board.pk)
        for accept in ("application/json", "text/html"):  # no browsable API either
            response = guest_get(path, link.token, HTTP_ACCEPT=accept)
            assert response.status_code == 200, (path, accept)
            assert response["Content-Type"] == "application/json", (path, accept)
            keys, texts = keys_and_texts(response.json())
            assert "username" not in keys, path
            assert not usernames & texts, (path, usernames & texts)
    state = guest_get(f"/api/boards/{board.pk}/state/", link.token).json()
    assert {person["name"] for person in state["people"].values()} == {
        "Olivia Owner",
        "Dana Sales",
    }
    events = guest_get(f"/api/boards/{board.pk}/events/?after=0", link.token).json()["events"]
    assert {event["actor"]["name"] for event in events} == {"Olivia Owner", "Dana Sales"}
    recap = guest_get(f"/api/boards/{board.pk}/meetings/{busy_board.pk}/recap.md", link.token)
    assert recap.status_code == 200 and "olivia" not in recap.content.decode()

    # Members are as before: they know each other's usernames.
    member = client_for(owner).get(f"/api/boards/{board.pk}/state/").json()
    assert {person["username"] for person in member["people"].values()} == usernames
    member_events = client_for(owner).get(f"/api/boards/{board.pk}/events/?after=0").json()
    assert {event["actor"]["username"] for event in member_events["events"]} == usernames
