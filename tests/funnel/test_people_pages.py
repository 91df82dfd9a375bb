"""The pages people come in by (an invitation's link, open sign-up) and the people
section of the board's settings page: plain forms, a readable page for every
refusal, nothing half-changed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from leads.models import BoardEvent, BoardMembership, Invitation
from leads.services.invitations import invitation_create, invitation_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-4417"
User = get_user_model()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite_path(board, owner, **fields) -> str:
    fields.setdefault("role", "editor")
    fields.setdefault("team", "sales")
    made = invitation_create(board_id=board.pk, actor=owner, site="http://testserver", **fields)
    return made.url.removeprefix("http://testserver")


def text(response) -> str:
    return response.content.decode()


def settings_url(board) -> str:
    return f"/boards/{board.pk}/settings/"


# --- The invitation's page ---


class TestInvitePage:
    def test_a_new_person_makes_an_account_and_lands_on_the_board(self, board, owner):
        path = invite_path(board, owner, email="grace@example.com", role="viewer")
        client = Client()
        page = client.get(path)
        assert page.status_code == 200
        assert "Join Q4 Pipeline" in text(page) and "viewer" in text(page)
        assert "grace@example.com" in text(page) and 'class="login-card' in text(page)
        assert page["Referrer-Policy"] == "same-origin"  # the token stays on the site

        answer = client.post(
            path, {"display_name": "Grace Hopper", "username": "grace", "password": STRONG}
        )
        assert answer.status_code == 303 and answer["Location"] == f"/boards/{board.pk}/"
        board_page = client.get(answer["Location"])
        assert board_page.status_code == 200  # signed in, a member
        grace = User.objects.get(username="grace")
        assert grace.email == "grace@example.com" and grace.get_full_name() == "Grace Hopper"
        assert BoardMembership.objects.get(board=board, user=grace).role == "viewer"

    def test_a_weak_password_shows_djangos_words_and_keeps_the_fields(self, board, owner):
        path = invite_path(board, owner)
        answer = Client().post(
            path, {"display_name": "Grace", "username": "grace", "password": "123"}
        )
        assert answer.status_code == 400
        page = text(answer)
        assert "too short" in page and "entirely numeric" in page
        assert 'value="grace"' in page and 'value="Grace"' in page and "123" not in page
        assert not User.objects.filter(username="grace").exists()

    def test_a_used_revoked_expired_or_unknown_link_says_so(self, board, owner):
        used = invite_path(board, owner)
        Client().post(used, {"display_name": "Una", "username": "una", "password": STRONG})
        revoked = invite_path(board, owner)
        invitation_revoke(invitation_id=Invitation.objects.latest("id").pk, actor=owner)
        expired = invite_path(board, owner)
        Invitation.objects.filter(pk=Invitation.objects.latest("id").pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        for path, status, title in [
            (used, 410, "already used"),
            (revoked, 410, "was revoked"),
            (expired, 410, "has expired"),
            ("/invite/nothing-like-a-token/", 404, "does not work"),
        ]:
            for answer in (Client().get(path), Client().post(path, {"username": "x"})):
                assert answer.status_code == status, (path, answer.status_code)
                assert title in text(answer) and 'class="login-card"' in text(answer)

    def test_signed_in_someone_joins_with_one_click(self, board, owner):
        grace = UserFactory(username="grace")
        path = invite_path(board, owner)
        client = signed_in(grace)
        page = text(client.get(path))
        assert "Signed in as <strong>grace</strong>" in page and "Join the board" in page
        answer = client.post(path)
        assert answer.status_code == 303 and answer["Location"] == f"/boards/{board.pk}/"
        assert BoardMembership.objects.filter(board=board, user=grace).exists()

    def test_a_member_is_pointed_to_the_board(self, board, owner, editor):
        path = invite_path(board, owner)
        client = signed_in(editor)
        assert "already on this board" in text(client.get(path))
        answer = client.post(path)
        assert answer.status_code == 409 and "already a member" in text(answer)
        assert Invitation.objects.latest("id").accepted_at is None

    def test_the_form_is_throttled_like_sign_in(self, board, owner, settings):
        settings.THROTTLE_LOGIN = "2/min"
        path = invite_path(board, owner)
        client = Client()
        for _ in range(2):
            client.post(path, {"display_name": "U", "username": "una", "password": "x"})
        answer = client.post(path, {"display_name": "U", "username": "una", "password": "x"})
        assert answer.status_code == 429 and "Too many attempts" in text(answer)


# --- Open sign-up ---


def test_sign_up_is_closed_by_default(db):
    assert Client().get("/signup/").status_code == 404
    assert Client().post("/signup/", {"username": "x"}).status_code == 404
    assert "/signup/" not in text(Client().get("/login/"))


def test_sign_up_when_open(db, settings):
    settings.SIGNUP_OPEN = True
    client = Client()
    assert 'href="/signup/"' in text(client.get("/login/"))
    weak = client.post("/signup/", {"display_name": "A", "username": "ann", "password": "ann"})
    assert weak.status_code == 400 and "too short" in text(weak)
    answer = client.post(
        "/signup/",
        {"display_name": "Ann Lee", "username": "ann", "password": STRONG, "email": "a@b.co"},
    )
    assert answer.status_code == 303 and answer["Location"] == "/"
    assert client.get("/").status_code == 200
    assert User.objects.get(username="ann").get_full_name() == "Ann Lee"


def test_the_sign_in_page_links_the_password_reset(db):
    assert 'href="/password-reset/"' in text(Client().get("/login/"))


# --- The settings page's people section ---


class TestPeopleSection:
    def test_members_are_listed_with_role_team_and_last_seen(self, board, owner, editor, viewer):
        signed_in(editor).get(f"/boards/{board.pk}/")  # seen now
        page = text(signed_in(viewer).get(settings_url(board)))
        assert 'id="people"' in page
        for name in ("Olivia Owner", "Dana Sales", "Vic Viewer"):
            assert name in page
        assert "Editor" in page and "Sales" in page and "never" in page and "ago" in page
        # A viewer may leave, not remove others, and sees no invitations.
        assert "member-leave" in page and "member-remove" not in page
        assert "invite-create" not in page

    def test_the_owner_invites_by_link_and_sees_it_once(self, board, owner):
        client = signed_in(owner)
        answer = client.post(
            settings_url(board), {"action": "invite-create", "role": "viewer", "team": "sales"}
        )
        assert answer.status_code == 303 and answer["Location"].endswith("#people")
        page = text(client.get(settings_url(board)))
        url = re.search(r'id="invite-link" [^>]*value="(http://testserver/invite/[^"]+/)"', page)
        assert url, page
        assert "Copy link" in page and "js/copy-link.js" in page
        assert "invite-link" not in text(client.get(settings_url(board)))  # once
        # Pending, with who sent it; Revoke takes it off.
        page = text(client.get(settings_url(board)))
        invitation = Invitation.objects.get(board=board)
        assert f'data-invitation="{invitation.pk}"' in page and "Olivia Owner" in page
        client.post(settings_url(board), {"action": "invite-revoke", "invitation": invitation.pk})
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
        assert f'data-invitation="{invitation.pk}"' not in text(client.get(settings_url(board)))

    def test_the_owner_invites_by_email(self, board, owner):
        client = signed_in(owner)
        client.post(
            settings_url(board),
            {
                "action": "invite-create",
                "email": "ann@example.com",
                "role": "editor",
                "team": "sales",
            },
        )
        [message] = mail.outbox
        assert message.to == ["ann@example.com"]
        page = text(client.get(settings_url(board)))
        assert "Invitation sent to ann@example.com" in page and "ann@example.com" in page

    def test_a_refused_invitation_is_said_beside_the_form_and_keeps_it(self, board, owner, editor):
        editor.email = "dana@example.com"
        editor.save()
        answer = signed_in(owner).post(
            settings_url(board),
            {
                "action": "invite-create",
                "email": "dana@example.com",
                "role": "viewer",
                "team": "sales",
            },
        )
        assert answer.status_code == 400
        page = text(answer)
        assert 'id="people-problem"' in page and "already a member" in page
        assert 'value="dana@example.com"' in page
        bad = signed_in(owner).post(
            settings_url(board),
            {
                "action": "invite-create",
                "email": "a@b.co\r\nBcc: x@y.z",
                "role": "viewer",
                "team": "sales",
            },
        )
        assert bad.status_code == 400 and "control characters" in text(bad)
        assert not Invitation.objects.exists() and mail.outbox == []

    def test_the_owner_changes_a_role_and_removes_someone(self, board, owner, editor, viewer):
        client = signed_in(owner)
        answer = client.post(
            settings_url(board),
            {"action": "member-update", "user": viewer.pk, "role": "editor", "team": "sales"},
        )
        assert answer.status_code == 303
        membership = BoardMembership.objects.get(board=board, user=viewer)
        assert (membership.role, membership.team) == ("editor", "sales")
        assert "Vic Viewer is now editor in sales." in text(client.get(settings_url(board)))

        client.post(settings_url(board), {"action": "member-remove", "user": editor.pk})
        assert not BoardMembership.objects.filter(board=board, user=editor).exists()
        assert "Dana Sales was removed" in text(client.get(settings_url(board)))
        assert signed_in(editor).get(settings_url(board)).status_code == 404

    def test_the_last_owner_is_told_why_and_nothing_changes(self, board, owner, editor):
        client = signed_in(owner)
        before = BoardEvent.objects.filter(board=board).count()
        answer = client.post(
            settings_url(board),
            {"action": "member-update", "user": owner.pk, "role": "viewer", "team": "sales"},
        )
        assert answer.status_code == 400 and "at least one owner" in text(answer)
        leave = client.post(settings_url(board), {"action": "member-leave"})
        assert leave.status_code == 400 and "last owner" in text(leave)
        assert BoardMembership.objects.get(board=board, user=owner).role == "owner"
        assert BoardEvent.objects.filter(board=board).count() == before

    def test_a_non_owner_cannot_change_people(self, board, owner, editor, viewer):
        answer = signed_in(editor).post(
            settings_url(board),
            {"action": "member-update", "user": viewer.pk, "role": "owner"},
        )
        assert answer.status_code == 403
        assert BoardMembership.objects.get(board=board, user=viewer).role == "viewer"
        refused = signed_in(editor).post(
            settings_url(board), {"action": "invite-create", "role": "owner", "team": "sales"}
        )
        assert refused.status_code == 403 and not Invitation.objects.exists()

    def test_leaving_goes_back_to_the_boards(self, board, owner, viewer):
        client = signed_in(viewer)
        answer = client.post(settings_url(board), {"action": "member-leave"})
        assert answer.status_code == 303 and answer["Location"] == "/"
        assert client.get(f"/boards/{board.pk}/").status_code == 404
