"""People on a board: invitations (made, mailed, listed, revoked, accepted), accounts
made through them, and members (role, team, removal, leaving), through the
services and the REST API, with the events each change stores."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from leads.events.schema import stored_event_adapter
from leads.models import BoardEvent, BoardMembership, Invitation, Role, Team
from leads.rules import display_name
from leads.services import lead_create
from leads.services.invitations import invitation_accept, invitation_create
from leads.services.people import (
    SEEN_EVERY,
    board_member_add,
    member_remove,
    member_seen,
    member_update,
)
from leads.tokens import token_digest
from tests.conftest import client_for
from tests.factories import BoardFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "http://testserver/"
STRONG = "plum-orchard-4417"
User = get_user_model()


def invitations_url(board) -> str:
    return f"/api/boards/{board.pk}/invitations/"


def member_url(board, user) -> str:
    return f"/api/boards/{board.pk}/members/{user.pk}/"


def accept_url(token: str) -> str:
    return f"/api/invitations/{token}/accept/"


def token_of(url: str) -> str:
    match = re.fullmatch(r"http://testserver/invite/([A-Za-z0-9_-]{43})/", url)
    assert match, url
    return match.group(1)


def error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"], body
    if field:
        assert field in body, body
    return body


def events(board, kind: str | None = None) -> list[dict]:
    rows = BoardEvent.objects.filter(board=board).order_by("seq")
    if kind:
        rows = rows.filter(type=kind)
    return [{"type": row.type, "seq": row.seq, **row.payload} for row in rows]


def invite(board, actor, **fields):
    fields.setdefault("role", Role.EDITOR)
    fields.setdefault("team", Team.SALES)
    return invitation_create(board_id=board.pk, actor=actor, site=SITE, **fields)


def written(board) -> tuple[int, int, int, int]:
    """What a refused request must not change: invitations, members, accounts, events."""
    return (
        Invitation.objects.filter(board=board).count(),
        BoardMembership.objects.filter(board=board).count(),
        User.objects.count(),
        BoardEvent.objects.filter(board=board).count(),
    )


# --- Inviting ---


class TestInvite:
    def test_by_email_mails_the_link_and_keeps_only_its_digest(self, board, owner, api):
        body = api.post(
            invitations_url(board),
            {"email": "grace@example.com", "role": "viewer", "team": "management"},
            format="json",
        )
        assert body.status_code == 201, body.content
        answer = body.json()
        token = token_of(answer["url"])
        assert answer["emailed"] is True
        assert answer["email"] == "grace@example.com"
        assert answer["created_by"] == {"id": owner.pk, "name": "Olivia Owner"}
        invitation = Invitation.objects.get(pk=answer["id"])
        assert invitation.token_hash == token_digest(token)
        assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
        assert (invitation.role, invitation.team) == ("viewer", "management")
        # Expires after INVITATION_DAYS (7 by default).
        left = invitation.expires_at - invitation.created_at
        assert timedelta(days=7) - timedelta(seconds=5) < left <= timedelta(days=7)

        [message] = mail.outbox
        assert message.to == ["grace@example.com"]
        assert "Q4 Pipeline" in message.subject and "Olivia Owner" in message.subject
        assert answer["url"] in message.body
        assert "viewer in the management team" in message.body

    def test_a_link_to_paste_sends_nothing(self, board, owner, api):
        body = api.post(invitations_url(board), {"role": "editor", "team": "sales"}, format="json")
        assert body.status_code == 201, body.content
        assert body.json()["emailed"] is False and body.json()["email"] == ""
        token_of(body.json()["url"])
        assert mail.outbox == []

    def test_the_expiry_is_a_setting(self, board, owner, settings):
        settings.INVITATION_DAYS = 2
        made = invite(board, owner)
        left = made.invitation.expires_at - made.invitation.created_at
        assert timedelta(days=2) - timedelta(seconds=5) < left <= timedelta(days=2)

    def test_pending_ones_are_listed_with_sender_and_times(self, board, owner, api):
        kept = invite(board, owner, email="a@example.com")
        used = invite(board, owner)
        invitation_accept(
            token=token_of(used.url), username="una", password=STRONG, display_name="Una"
        )
        revoked = invite(board, owner)
        api.delete(f"/api/invitations/{revoked.invitation.pk}/")
        expired = invite(board, owner)
        Invitation.objects.filter(pk=expired.invitation.pk).update(expires_at=timezone.now())

        listed = api.get(invitations_url(board))
        assert listed.status_code == 200
        [row] = listed.json()
        assert row["id"] == kept.invitation.pk and row["email"] == "a@example.com"
        assert row["created_by"]["name"] == "Olivia Owner"
        assert row["created_at"] and row["expires_at"]
        assert "url" not in row and "token" not in str(row)

    @pytest.mark.parametrize("who", ["editor", "viewer"])
    def test_only_the_owner_invites_and_sees_invitations(self, who, board, request):
        client = client_for(request.getfixturevalue(who))
        before = written(board)
        error(client.post(invitations_url(board), {"role": "editor", "team": "sales"}), 403)
        error(client.get(invitations_url(board)), 403)
        assert written(board) == before

    def test_an_outsider_finds_no_board(self, board, outsider):
        client = client_for(outsider)
        error(client.post(invitations_url(board), {"role": "editor", "team": "sales"}), 404)
        error(client.get(invitations_url(board)), 404)

    def test_someone_already_a_member_is_refused(self, board, owner, editor, api):
        editor.email = "dana@example.com"
        editor.save()
        before = written(board)
        body = error(
            api.post(
                invitations_url(board),
                {"email": "DANA@example.com", "role": "viewer", "team": "sales"},
                format="json",
            ),
            400,
            "email",
        )
        assert "already a member" in body["detail"]
        assert written(board) == before and mail.outbox == []

    @pytest.mark.parametrize(
        "email",
        [
            "grace@example.com\r\nBcc: everyone@example.com",
            "grace@example.com\n",
            "grace@exa\rmple.com",
            "grace\t@example.com",
            "grace@example.com\u2028",
            "not an address",
        ],
    )
    def test_an_address_with_header_injection_or_no_address_is_refused(
        self, email, board, owner, api
    ):
        before = written(board)
        body = error(
            api.post(
                invitations_url(board),
                {"email": email, "role": "viewer", "team": "sales"},
                format="json",
            ),
            400,
            "email",
        )
        assert "control characters" in body["detail"] or "not an email" in body["detail"]
        assert written(board) == before and mail.outbox == []

    def test_role_and_team_are_checked(self, board, api):
        error(api.post(invitations_url(board), {"role": "king", "team": "sales"}), 400, "role")
        error(api.post(invitations_url(board), {"role": "editor", "team": "it"}), 400, "team")
        error(
            api.post(invitations_url(board), {"role": "editor", "team": "sales", "x": 1}), 400, "x"
        )

    def test_revoking_stops_the_link(self, board, owner, api):
        made = invite(board, owner)
        assert api.delete(f"/api/invitations/{made.invitation.pk}/").status_code == 204
        assert api.delete(f"/api/invitations/{made.invitation.pk}/").status_code == 204  # again
        body = error(APIClient().post(accept_url(token_of(made.url)), {}, format="json"), 410)
        assert body["state"] == "revoked"

    def test_only_the_owner_revokes_and_a_used_one_stays_used(self, board, owner, editor, api):
        made = invite(board, owner)
        error(client_for(editor).delete(f"/api/invitations/{made.invitation.pk}/"), 403)
        error(client_for(UserFactory()).delete(f"/api/invitations/{made.invitation.pk}/"), 404)
        error(api.delete("/api/invitations/999999/"), 404)
        invitation_accept(
            token=token_of(made.url), username="una", password=STRONG, display_name="Una"
        )
        body = error(api.delete(f"/api/invitations/{made.invitation.pk}/"), 409)
        assert "remove the member" in body["detail"]


# --- Accepting ---


class TestAccept:
    def test_a_new_account_joins_with_the_invitations_role_and_team(self, board, owner):
        made = invite(board, owner, email="grace@example.com", role="viewer", team="marketing")
        answer = APIClient().post(
            accept_url(token_of(made.url)),
            {"username": "grace", "password": STRONG, "display_name": "  Grace   Hopper "},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        body = answer.json()
        assert body["account_created"] is True and body["url"] == f"/boards/{board.pk}/"
        assert body["board"] == {"id": board.pk, "name": "Q4 Pipeline"}
        user = User.objects.get(username="grace")
        assert user.check_password(STRONG) and user.email == "grace@example.com"
        assert display_name(user) == "Grace Hopper" == body["member"]["name"]
        membership = BoardMembership.objects.get(board=board, user=user)
        assert (membership.role, membership.team) == ("viewer", "marketing")
        invitation = Invitation.objects.get(pk=made.invitation.pk)
        assert invitation.accepted_by == user and invitation.accepted_at is not None

        [joined] = events(board, "member.joined")
        assert joined["member"] == {
            "id": user.pk,
            "username": "grace",
            "name": "Grace Hopper",
            "team": "marketing",
            "role": "viewer",
            "may_edit": False,
            "may_judge": False,
            "may_set_up": False,
        }
        assert joined["actor"]["id"] == user.pk
        assert body["event"]["seq"] == joined["seq"]
        stored_event_adapter.validate_python(body["event"])

    def test_twice_is_gone(self, board, owner):
        token = token_of(invite(board, owner).url)
        first = {"username": "una", "password": STRONG, "display_name": "Una"}
        assert APIClient().post(accept_url(token), first, format="json").status_code == 201
        before = written(board)
        again = {"username": "otto", "password": STRONG, "display_name": "Otto"}
        body = error(APIClient().post(accept_url(token), again, format="json"), 410)
        assert body["state"] == "accepted" and "already used" in body["detail"]
        # Signed in as the account it made: still gone.
        una = User.objects.get(username="una")
        error(client_for(una).post(accept_url(token), {}, format="json"), 410)
        assert written(board) == before

    def test_expired_is_gone(self, board, owner):
        made = invite(board, owner)
        Invitation.objects.filter(pk=made.invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        body = {"username": "una", "password": STRONG, "display_name": "Una"}
        answer = error(APIClient().post(accept_url(token_of(made.url)), body, format="json"), 410)
        assert answer["state"] == "expired" and "expired" in answer["detail"]
        assert not User.objects.filter(username="una").exists()

    @pytest.mark.parametrize("token", ["x" * 43, "x" * 65, "%00"])
    def test_an_unknown_token_is_not_found(self, token, db):
        body = {"username": "una", "password": STRONG, "display_name": "Una"}
        error(APIClient().post(accept_url(token), body, format="json"), 404)

    @pytest.mark.parametrize(
        ("password", "says"),
        [
            ("short", "too short"),
            ("password123", "too common"),
            ("48151623424815", "entirely numeric"),
            ("grace-hopper", "too similar"),
        ],
    )
    def test_a_weak_password_is_refused_with_djangos_words(self, password, says, board, owner):
        token = token_of(invite(board, owner).url)
        before = written(board)
        body = {"username": "grace-hopper", "password": password, "display_name": "Grace"}
        answer = error(APIClient().post(accept_url(token), body, format="json"), 400, "password")
        assert any(says in message for message in answer["password"]), answer
        assert written(board) == before
        assert Invitation.objects.get(token_hash=token_digest(token)).accepted_at is None

    def test_every_account_field_is_checked_at_once(self, board, owner, editor):
        token = token_of(invite(board, owner).url)
        body = {"username": "DANA", "password": "", "display_name": "\u200b "}
        answer = error(APIClient().post(accept_url(token), body, format="json"), 400)
        assert "taken" in answer["username"][0]
        assert answer["password"] and answer["display_name"]
        bad = {"username": "a b", "password": STRONG, "display_name": "A"}
        assert "username" in error(APIClient().post(accept_url(token), bad, format="json"), 400)

    def test_signed_in_someone_joins_as_themself(self, board, owner):
        grace = UserFactory(username="grace", first_name="Grace", last_name="Hopper")
        token = token_of(invite(board, owner, role="editor", team="sales").url)
        answer = client_for(grace).post(accept_url(token), {}, format="json")
        assert answer.status_code == 201, answer.content
        assert answer.json()["account_created"] is False
        membership = BoardMembership.objects.get(board=board, user=grace)
        assert (membership.role, membership.team) == ("editor", "sales")
        assert events(board, "member.joined")[0]["member"]["may_judge"] is True

    def test_a_member_already_conflicts_and_leaves_it_unused(self, board, owner, editor):
        token = token_of(invite(board, owner).url)
        before = written(board)
        body = error(client_for(editor).post(accept_url(token), {}, format="json"), 409)
        assert "already a member" in body["detail"]
        assert written(board) == before
        assert Invitation.objects.get(token_hash=token_digest(token)).accepted_at is None

    def test_accepting_is_throttled_like_sign_in(self, board, owner, settings):
        settings.THROTTLE_LOGIN = "3/min"
        token = token_of(invite(board, owner).url)
        weak = {"username": "una", "password": "x", "display_name": "Una"}
        client = APIClient()
        for _ in range(3):
            error(client.post(accept_url(token), weak, format="json"), 400)
        throttled = client.post(accept_url(token), weak, format="json")
        assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0


# --- Members ---


class TestMembers:
    def test_the_owner_changes_role_and_team_at_once(self, board, owner, viewer, api):
        answer = api.patch(member_url(board, viewer), {"role": "editor"}, format="json")
        assert answer.status_code == 200, answer.content
        assert answer.json()["role"] == "editor" and answer.json()["team"] == "management"
        [updated] = events(board, "member.updated")
        assert updated["fields"] == ["role"]
        assert updated["member"]["id"] == viewer.pk and updated["member"]["may_edit"] is True
        assert updated["actor"]["id"] == owner.pk

        api.patch(member_url(board, viewer), {"team": "sales"}, format="json")
        last = events(board, "member.updated")[-1]
        assert last["fields"] == ["team"] and last["member"]["may_judge"] is True
        # Nothing changed: nothing stored.
        count = len(events(board))
        assert api.patch(member_url(board, viewer), {"team": "sales"}).status_code == 200
        assert len(events(board)) == count

    @pytest.mark.parametrize("who", ["editor", "viewer"])
    def test_only_the_owner_changes_or_removes_others(self, who, board, owner, editor, viewer):
        client = client_for({"editor": editor, "viewer": viewer}[who])
        target = viewer if who == "editor" else editor
        before = written(board)
        error(client.patch(member_url(board, target), {"role": "owner"}, format="json"), 403)
        error(client.delete(member_url(board, target)), 403)
        error(client.patch(member_url(board, owner), {"role": "viewer"}, format="json"), 403)
        assert written(board) == before

    def test_an_outsider_and_an_unknown_member_are_not_found(self, board, owner, outsider, api):
        error(client_for(outsider).patch(member_url(board, owner), {"role": "viewer"}), 404)
        error(api.patch(member_url(board, outsider), {"role": "viewer"}, format="json"), 404)
        error(api.delete(member_url(board, outsider)), 404)

    def test_the_last_owner_keeps_the_role_and_cannot_go(self, board, owner, editor, api):
        before = written(board)
        body = error(api.patch(member_url(board, owner), {"role": "editor"}, format="json"), 400)
        assert "at least one owner" in body["detail"]
        body = error(api.delete(member_url(board, owner)), 400)
        assert "last owner" in body["detail"]
        assert written(board) == before
        # With a second owner, the first may step down.
        api.patch(member_url(board, editor), {"role": "owner"}, format="json")
        assert api.patch(member_url(board, owner), {"role": "viewer"}).status_code == 200
        assert BoardMembership.objects.get(board=board, user=owner).role == "viewer"

    def test_an_empty_change_is_refused(self, board, viewer, api):
        error(api.patch(member_url(board, viewer), {}, format="json"), 400)
        error(api.patch(member_url(board, viewer), {"role": "boss"}, format="json"), 400, "role")

    def test_removing_a_member_refuses_their_next_request(self, board, owner, editor, api):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", owner=editor)
        assert client_for(editor).get(f"/api/boards/{board.pk}/state/").status_code == 200
        assert api.delete(member_url(board, editor)).status_code == 204
        [removed] = events(board, "member.removed")
        assert removed["user"] == editor.pk and removed["actor"]["id"] == owner.pk
        error(client_for(editor).get(f"/api/boards/{board.pk}/state/"), 404)
        error(client_for(editor).post(f"/api/leads/{lead.pk}/move/", {"to_stage": 1}), 404)
        # The leads they own keep them, by name, with no team.
        people = api.get(f"/api/boards/{board.pk}/state/").json()["people"]
        assert people[str(editor.pk)]["team"] is None
        assert people[str(editor.pk)]["name"] == "Dana Sales"

    def test_anyone_may_leave(self, board, owner, viewer):
        client = client_for(viewer)
        assert client.delete(member_url(board, viewer)).status_code == 204
        assert not BoardMembership.objects.filter(board=board, user=viewer).exists()
        [removed] = events(board, "member.removed")
        assert removed["user"] == viewer.pk and removed["actor"]["id"] == viewer.pk
        error(client.delete(member_url(board, viewer)), 404)

    def test_adding_by_username_still_works_and_is_an_event(self, board, owner, api):
        UserFactory(username="grace", first_name="Grace", last_name="Hopper")
        answer = api.post(
            f"/api/boards/{board.pk}/members/",
            {"username": "grace", "role": "viewer", "team": "sales"},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        [joined] = events(board, "member.joined")
        assert joined["member"]["username"] == "grace" and joined["member"]["role"] == "viewer"
        # Again with another role: an update.
        api.post(
            f"/api/boards/{board.pk}/members/",
            {"username": "grace", "role": "editor", "team": "sales"},
            format="json",
        )
        assert events(board, "member.updated")[-1]["fields"] == ["role"]
        listed = api.get(f"/api/boards/{board.pk}/members/").json()
        assert {m["username"]: m["role"] for m in listed} == {"grace": "editor", "olivia": "owner"}

    def test_the_services_check_the_same_rules(self, board, owner, editor):
        other = BoardFactory(created_by=UserFactory())
        from leads.errors import InvalidInput, NotFound, PermissionDenied

        with pytest.raises(PermissionDenied):
            member_update(board_id=board.pk, actor=editor, user_id=owner.pk, role="viewer")
        with pytest.raises(NotFound):
            member_remove(board_id=other.pk, actor=owner, user_id=owner.pk)
        with pytest.raises(InvalidInput):
            board_member_add(
                board_id=board.pk, actor=owner, username="olivia", role="editor", team="sales"
            )
        with pytest.raises(InvalidInput):
            invite(board, owner, role="emperor")


def test_last_seen_is_written_at_most_once_a_minute(board, owner):
    now = timezone.now()
    assert member_seen(board_id=board.pk, user=owner, now=now) is True
    assert member_seen(board_id=board.pk, user=owner, now=now + timedelta(seconds=30)) is False
    seen = BoardMembership.objects.get(board=board, user=owner).last_seen_at
    assert seen == now
    later = now + SEEN_EVERY + timedelta(seconds=1)
    assert member_seen(board_id=board.pk, user=owner, now=later) is True
    assert member_seen(board_id=board.pk, user=UserFactory(), now=later) is False  # no member


def test_opening_the_board_page_sets_last_seen(board, owner):
    from django.test import Client

    client = Client()
    client.force_login(owner)
    assert client.get(f"/boards/{board.pk}/").status_code == 200
    assert BoardMembership.objects.get(board=board, user=owner).last_seen_at is not None


def test_the_openapi_schema_documents_people(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/boards/{board_id}/invitations/"])
    assert "delete" in paths["/api/invitations/{invitation_id}/"]
    accept = paths["/api/invitations/{token}/accept/"]["post"]
    assert {"201", "404", "409", "410", "429"} <= set(accept["responses"])
    assert {} in accept["security"]  # anonymous too: a new account
    member = paths["/api/boards/{board_id}/members/{user_id}/"]
    assert {"patch", "delete"} <= set(member)
