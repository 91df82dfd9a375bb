"""The first minutes in the browser, as pages: the boards page (first board, new
board from a template, the demo board, archived boards and their restore), the
board section of the settings page, an archived or empty board's page, and the
styled error pages."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from leads.access import ARCHIVED
from leads.models import Board, BoardEvent, BoardMembership, Role, Stage
from leads.services import board_update, lead_create
from tests.conftest import config_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def text(response) -> str:
    return response.content.decode()


def settings_url(board) -> str:
    return f"/boards/{board.pk}/settings/"


# --- The boards page ---


def test_a_new_user_sees_the_first_board_screen(login, board, settings):
    settings.DEMO_BOARD = ""
    newcomer = UserFactory(username="newcomer")
    page = login(newcomer).get("/")
    assert page.status_code == 200
    html = text(page)
    assert "Create your first board" in html
    assert "<title>Your first board · Funnelboard</title>" in html
    # Every template, the b2b one chosen, with its stages shown.
    assert re.findall(r'name="template" id="template-([\w-]+)"', html) == [
        "b2b",
        "hubspot-lifecycle",
        "salesforce",
        "blank",
    ]
    assert re.search(r'value="b2b" checked', html)
    assert "Open - Not Contacted" in html
    assert "Open the demo board" not in html  # no demo board named
    assert "Q4 Pipeline" not in html  # a board they are not on


def test_the_demo_board_is_offered_until_joined(login, board, settings):
    settings.DEMO_BOARD = board.slug
    newcomer = UserFactory(username="newcomer")
    client = login(newcomer)
    html = text(client.get("/"))
    assert "Open the demo board" in html and "Q4 Pipeline" in html
    joined = client.post("/", {"action": "join-demo"})
    assert joined.status_code == 302 and joined["Location"] == f"/boards/{board.pk}/"
    assert BoardMembership.objects.get(board=board, user=newcomer).role == Role.VIEWER
    page = client.get(f"/boards/{board.pk}/")
    assert page.status_code == 200 and config_of(page)["me"]["may_edit"] is False
    html = text(client.get("/"))
    assert "Open the demo board" not in html  # on it now: it is among their boards
    assert "Your boards" in html


def test_creating_a_board_lands_on_it(login, owner):
    client = login(owner)
    answer = client.post("/", {"action": "create", "name": "EMEA", "template": "salesforce"})
    assert answer.status_code == 302
    board = Board.objects.get(name="EMEA")
    assert answer["Location"] == f"/boards/{board.pk}/"
    assert Stage.objects.filter(board=board).count() == 7
    assert board.memberships.get().user == owner
    assert "EMEA" in text(client.get("/"))


@pytest.mark.parametrize(
    ("form", "message", "field"),
    [
        ({"name": "  ", "template": "b2b"}, "A board needs a name with a visible", "name"),
        ({"name": "x" * 201, "template": "b2b"}, "at most 200 characters", "name"),
        ({"name": "Mine", "template": "pipedrive"}, "No template &#x27;pipedrive", "template"),
    ],
)
def test_a_refused_board_says_why_next_to_the_field(login, owner, form, message, field):
    answer = login(owner).post("/", {"action": "create", **form})
    assert answer.status_code == 400
    html = text(answer)
    assert message in html
    assert f'id="new-board-{field}-error"' in html
    assert not Board.objects.exists()


def test_the_name_typed_comes_back_after_a_refusal(login, owner, board):
    answer = login(owner).post("/", {"action": "create", "name": "Mine", "template": "nope"})
    html = text(answer)
    assert 'value="Mine"' in html
    assert '<details class="new-board" id="new-board" open>' in html  # a user with boards


def test_unknown_action_is_a_readable_400(login, owner):
    answer = login(owner).post("/", {"action": "explode"})
    assert answer.status_code == 400 and "Unknown action." in text(answer)


def test_archived_boards_are_listed_apart_and_restored_by_their_owner(login, board, owner, editor):
    board_update(board_id=board.pk, actor=owner, archived=True)
    html = text(login(owner).get("/"))
    assert "Archived boards" in html
    assert 'aria-label="Restore Q4 Pipeline"' in html
    # An editor sees it archived, without the Restore button, and cannot restore it.
    editor_page = text(login(editor).get("/"))
    assert "Archived boards" in editor_page and "Restore Q4 Pipeline" not in editor_page
    refused = login(editor).post("/", {"action": "restore", "board": board.pk})
    assert refused.status_code == 403 and "Only the board&#x27;s owner" in text(refused)
    board.refresh_from_db()
    assert board.archived_at is not None
    client = login(owner)
    restored = client.post("/", {"action": "restore", "board": board.pk})
    assert restored.status_code == 302
    board.refresh_from_db()
    assert board.archived_at is None
    assert "Q4 Pipeline is restored" in text(client.get("/"))
    missing = client.post("/", {"action": "restore", "board": "abc"})
    assert missing.status_code == 404


# --- The board's page ---


def test_an_archived_board_page_is_read_only(login, board, owner):
    board_update(board_id=board.pk, actor=owner, archived=True)
    config = config_of(login(owner).get(f"/boards/{board.pk}/"))
    assert config["board"]["archived"] is True
    assert config["me"]["may_edit"] is False  # nobody drags on an archived board


def test_the_board_page_carries_the_currency_and_the_empty_state(login, board, owner, editor):
    board_update(board_id=board.pk, actor=owner, currency="EUR")
    page = login(owner).get(f"/boards/{board.pk}/")
    assert config_of(page)["board"]["currency"] == "EUR"
    html = text(page)
    assert 'id="board-empty"' in html and "No leads on this board yet" in html
    assert "data-empty-import" in html and 'href="/api/docs/"' in html
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    viewer = UserFactory(username="viv")
    BoardMembership.objects.create(board=board, user=viewer, role=Role.VIEWER)
    # A viewer is told how leads come, not offered an import.
    viewer_html = text(login(viewer).get(f"/boards/{board.pk}/"))
    assert "data-empty-import" not in viewer_html
    assert "as soon as an editor of the board imports them" in viewer_html


# --- The settings page's board section ---


def test_the_owner_renames_and_sets_the_currency_in_settings(login, board, owner):
    client = login(owner)
    page = text(client.get(settings_url(board)))
    assert 'id="board-rename-name"' in page and '<option value="EUR">EUR · Euro</option>' in page
    renamed = client.post(settings_url(board), {"action": "board-rename", "name": "EMEA"})
    assert renamed.status_code == 303 and renamed["Location"].endswith("#board")
    currency = client.post(settings_url(board), {"action": "board-currency", "currency": "GBP"})
    assert currency.status_code == 303
    board.refresh_from_db()
    assert (board.name, board.currency) == ("EMEA", "GBP")
    assert list(BoardEvent.objects.filter(board=board).values_list("type", flat=True)) == [
        "board.updated",
        "board.updated",
    ]
    assert "The board is now called EMEA." in text(client.get(settings_url(board)))


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"action": "board-rename", "name": "  "}, 400, "A board needs a name"),
        ({"action": "board-currency", "currency": "EURO"}, 400, "not a currency code in use"),
        ({"action": "board-delete", "confirm": "q4 pipeline"}, 400, "type its name exactly"),
        ({"action": "board-delete"}, 400, "type its name exactly"),
        ({"action": "board-copy", "name": ""}, 400, "A board needs a name"),
    ],
)
def test_settings_refusals_are_readable_and_change_nothing(
    login, board, owner, form, status, message
):
    answer = login(owner).post(settings_url(board), form)
    assert answer.status_code == status
    assert message in text(answer)
    assert 'id="settings-error"' in text(answer)
    board.refresh_from_db()
    assert (board.name, board.currency, board.last_seq) == ("Q4 Pipeline", "USD", 0)
    assert Board.objects.count() == 1


def test_others_read_the_board_section_and_cannot_change_it(login, board, editor, viewer):
    refusals = {
        editor: "Only the board&#x27;s owner can do this.",
        viewer: "Viewers cannot change the board.",
    }
    for user, refusal in refusals.items():
        html = text(login(user).get(settings_url(board)))
        assert "Only the board's owner can rename it" in html
        assert 'id="board-rename-name"' not in html and 'value="board-delete"' not in html
        for form in (
            {"action": "board-rename", "name": "Mine"},
            {"action": "board-archive"},
            {"action": "board-delete", "confirm": "Q4 Pipeline"},
        ):
            answer = login(user).post(settings_url(board), form)
            assert answer.status_code == 403, form
            assert refusal in text(answer)
    board.refresh_from_db()
    assert board.name == "Q4 Pipeline" and board.archived_at is None


def test_archive_restore_copy_and_delete_from_settings(login, board, owner):
    client = login(owner)
    client.post(settings_url(board), {"action": "board-archive"})
    board.refresh_from_db()
    assert board.archived_at is not None
    html = text(client.get(settings_url(board)))
    assert "read-only" in html and 'value="board-restore"' in html
    assert 'id="board-rename-name"' not in html  # nothing to rename until restored
    refused = client.post(settings_url(board), {"action": "board-rename", "name": "X"})
    assert refused.status_code == 409 and ARCHIVED.replace("'", "&#x27;") in text(refused)
    client.post(settings_url(board), {"action": "board-restore"})
    board.refresh_from_db()
    assert board.archived_at is None

    copied = client.post(settings_url(board), {"action": "board-copy", "name": "Q1 Pipeline"})
    copy = Board.objects.get(name="Q1 Pipeline")
    assert copied.status_code == 303 and copied["Location"] == f"/boards/{copy.pk}/"

    deleted = client.post(settings_url(board), {"action": "board-delete", "confirm": "Q4 Pipeline"})
    assert deleted.status_code == 303 and deleted["Location"] == "/"
    assert not Board.objects.filter(pk=board.pk).exists()
    assert "Q4 Pipeline is deleted" in text(client.get("/"))


# --- Error pages ---


def test_an_unknown_board_gets_the_styled_404(login, owner, board, outsider):
    for client, path in (
        (login(owner), "/boards/999999/"),
        (login(outsider), f"/boards/{board.pk}/"),  # not theirs: the same answer
        (login(owner), f"/boards/{2**70}/settings/"),
        (login(owner), "/boards/999999/meeting/"),
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        html = text(answer)
        assert "This board is not here" in html, path
        assert "/static/css/setup.css" in html and 'href="/"' in html
    other = login(owner).get("/no/such/page/")
    assert other.status_code == 404 and "There is no such page" in text(other)


def test_an_unknown_api_route_answers_json(api):
    answer = api.get("/api/no-such-thing/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}


def test_the_403_and_500_pages_render_in_the_apps_frame():
    denied = render_to_string("403.html")
    assert "You cannot do this here" in denied and "setup.css" in denied
    # The 500 page is rendered without a request or context.
    failed = render_to_string("500.html")
    assert "Something went wrong on our side" in failed and 'href="/"' in failed
