"""The board's settings page: webhooks and their delivery log, rejection reasons,
and who may see and change what."""

from __future__ import annotations

import pytest
from django.test import Client

from leads.models import RejectionReason, Webhook, WebhookDelivery
from leads.services.webhooks import webhook_create


@pytest.fixture
def login():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def url(board) -> str:
    return f"/boards/{board.pk}/settings/"


def text(response) -> str:
    return response.content.decode()


class TestAccess:
    def test_needs_a_login(self, board):
        response = Client().get(url(board))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_outsider_and_unknown_board_get_404(self, board, outsider, login):
        assert login(outsider).get(url(board)).status_code == 404
        posted = login(outsider).post(
            url(board), {"action": "webhook-create", "url": "https://x.io"}
        )
        assert posted.status_code == 404
        assert login(outsider).get("/boards/999999/settings/").status_code == 404
        assert login(outsider).get(f"/boards/{2**70}/settings/").status_code == 404
        assert not Webhook.objects.exists()

    def test_viewer_reads_the_reasons_but_changes_nothing(self, board, owner, viewer, login):
        webhook_create(board_id=board.pk, actor=owner, url="https://hooks.example.com/secret-path")
        client = login(viewer)
        page = client.get(url(board))
        assert page.status_code == 200
        html = text(page)
        assert "No budget" in html
        assert "Only the board's owner can change them." in html
        assert "Webhooks are managed by the board's owner and editors." in html
        assert "secret-path" not in html  # URLs (and secrets) are for owners and editors
        created = client.post(
            url(board), {"action": "webhook-create", "url": "https://a.example.com"}
        )
        assert created.status_code == 403
        assert "Viewers cannot change the board." in text(created)
        reasons = client.post(url(board), {"action": "reasons", "reasons": "Too small"})
        assert reasons.status_code == 403
        hook = Webhook.objects.get()
        paused = client.post(url(board), {"action": "webhook-pause", "webhook": hook.pk})
        assert paused.status_code == 403
        assert Webhook.objects.count() == 1 and Webhook.objects.get().active
        assert RejectionReason.labels_of(board.pk)[0] == "No budget"

    def test_editor_sees_no_reasons_form(self, board, editor, login):
        html = text(login(editor).get(url(board)))
        assert 'name="reasons"' not in html
        refused = login(editor).post(url(board), {"action": "reasons", "reasons": "Too small"})
        assert refused.status_code == 403
        assert "Only the board&#x27;s owner can do this." in text(refused)
        assert not RejectionReason.objects.exists()

    def test_board_page_links_settings_for_every_member(self, board, editor, viewer, login):
        # Viewers too: the people on the board are listed there, and anyone may leave.
        assert url(board) in text(login(editor).get(f"/boards/{board.pk}/"))
        assert url(board) in text(login(viewer).get(f"/boards/{board.pk}/"))


class TestWebhooks:
    def test_create_shows_the_generated_secret_once(self, board, editor, login):
        client = login(editor)
        response = client.post(
            url(board),
            {
                "action": "webhook-create",
                "url": "https://crm.example.com/hook",
                "events": ["lead.feedback", "lead.moved"],
            },
        )
        assert response.status_code == 303
        assert response["Location"] == f"{url(board)}#webhooks"
        hook = Webhook.objects.get()
        assert (hook.url, hook.events, hook.active) == (
            "https://crm.example.com/hook",
            ["lead.feedback", "lead.moved"],
            True,
        )
        assert hook.secret.startswith("whsec_")  # Standard Webhooks' form
        first = text(client.get(url(board)))
        assert hook.secret in first
        assert "Webhook to https://crm.example.com/hook created." in first
        assert hook.secret not in text(client.get(url(board)))

    def test_given_secret_is_kept(self, board, owner, login):
        login(owner).post(
            url(board),
            {"action": "webhook-create", "url": "https://a.example.com", "secret": "s3cret-value"},
        )
        assert Webhook.objects.get().secret == "s3cret-value"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"url": "not a url"}, "Enter a valid URL."),
            ({"url": ""}, "This field is required."),
            ({"url": "ftp://files.example.com/x"}, "The URL must be http:// or https://."),
            (
                {"url": "https://a.example.com", "events": ["lead.exploded"]},
                "Select a valid choice.",
            ),
            ({"url": "https://a.example.com/" + "x" * 600}, "at most 500 characters"),
            (
                {"url": "https://a.example.com", "secret": "whsec_not-base64!"},
                "A secret starting with whsec_ must be base64 after the prefix.",
            ),
        ],
    )
    def test_bad_input_is_a_readable_400(self, board, owner, login, data, message):
        response = login(owner).post(url(board), {"action": "webhook-create", **data})
        assert response.status_code == 400
        assert message in text(response)
        assert not Webhook.objects.exists()

    def test_pause_resume_delete_and_delivery_log(self, board, owner, editor, login):
        hook = webhook_create(board_id=board.pk, actor=owner, url="https://a.example.com/in")
        WebhookDelivery.objects.create(
            webhook=hook,
            seq=7,
            event_type="lead.moved",
            status="failing",
            attempts=4,
            response_code=502,
            error="HTTP 502",
        )
        WebhookDelivery.objects.create(
            webhook=hook,
            seq=6,
            event_type="lead.created",
            status="delivered",
            attempts=1,
            response_code=200,
        )
        client = login(editor)
        html = text(client.get(url(board)))
        assert "Delivery log (2 latest)" in html
        assert "#7" in html and "HTTP 502" in html and "lead.created" in html
        assert "Last error: HTTP 502 (attempt 4" in html

        paused = client.post(url(board), {"action": "webhook-pause", "webhook": hook.pk})
        assert paused.status_code == 303
        assert Webhook.objects.get(pk=hook.pk).active is False
        assert "Paused" in text(client.get(url(board)))
        client.post(url(board), {"action": "webhook-resume", "webhook": hook.pk})
        assert Webhook.objects.get(pk=hook.pk).active is True

        deleted = client.post(url(board), {"action": "webhook-delete", "webhook": hook.pk})
        assert deleted.status_code == 303
        assert not Webhook.objects.exists()
        assert not WebhookDelivery.objects.exists()
        assert "No webhooks yet." in text(client.get(url(board)))

    def test_unknown_webhook_or_action(self, board, owner, login, other_board_webhook):
        client = login(owner)
        for value in ("999999", "abc", "", str(2**70), str(other_board_webhook.pk)):
            response = client.post(url(board), {"action": "webhook-delete", "webhook": value})
            assert response.status_code == 404, value
            assert "Webhook not found." in text(response)
        assert Webhook.objects.filter(pk=other_board_webhook.pk).exists()
        assert client.post(url(board), {"action": "explode"}).status_code == 400


@pytest.fixture
def other_board_webhook(db):
    from tests.factories import BoardFactory, UserFactory

    stranger = UserFactory(username="stranger")
    other = BoardFactory(name="Other", created_by=stranger)
    return webhook_create(board_id=other.pk, actor=stranger, url="https://other.example.com")


class TestReasons:
    def test_owner_edits_the_list(self, board, owner, login):
        client = login(owner)
        html = text(client.get(url(board)))
        assert 'name="reasons"' in html and "Student / competitor" in html
        response = client.post(
            url(board),
            {"action": "reasons", "reasons": "Too small\n\n  No   budget \nWrong region"},
        )
        assert response.status_code == 303
        assert RejectionReason.labels_of(board.pk) == ["Too small", "No budget", "Wrong region"]
        assert "Rejection reasons saved." in text(client.get(url(board)))

    @pytest.mark.parametrize(
        ("reasons", "message"),
        [
            ("A\na", "&#x27;a&#x27; is listed twice."),
            ("   \n ", "This field is required."),
            ("x" * 201, "a reason has at most 200 characters"),
            ("\n".join(f"R{i}" for i in range(51)), "At most 50 reasons."),
        ],
    )
    def test_bad_lists_are_refused_readably(self, board, owner, login, reasons, message):
        response = login(owner).post(url(board), {"action": "reasons", "reasons": reasons})
        assert response.status_code == 400
        assert message in text(response)
        assert not RejectionReason.objects.exists()
