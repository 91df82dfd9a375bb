"""The live board page: who may open it and what it tells the script."""

from __future__ import annotations

import pytest
from django.test import Client

from leads.models import DEFAULT_LOST_REASONS
from leads.rules import FEEDBACK_FIELDS, page_rules
from tests.conftest import config_of


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def test_board_page_needs_a_login(board):
    response = Client().get(f"/boards/{board.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_board_page_tells_the_script_the_board_and_the_member(board, editor, client_for):
    response = client_for(editor).get(f"/boards/{board.pk}/")
    assert response.status_code == 200
    assert config_of(response) == {
        "board": {"id": board.pk, "name": "Q4 Pipeline", "currency": "USD", "archived": False},
        "me": {
            "id": editor.pk,
            "username": "dana",
            "name": "Dana Sales",
            "role": "editor",
            "team": "sales",
            "may_edit": True,
            "may_judge": True,
            "may_set_up": False,  # the stages are the owner's
        },
        "rules": page_rules(),
        "lost_reasons": list(DEFAULT_LOST_REASONS),
    }
    assert config_of(response)["rules"]["feedback_fields"] == [
        [name, label] for name, label in FEEDBACK_FIELDS.items()
    ]
    html = response.content.decode()
    assert '<script type="module" src="/static/dist/board.js"></script>' in html
    assert "csrftoken" in response.cookies  # fetch() sends it back as X-CSRFToken


def test_viewer_gets_the_page_with_the_viewer_role(board, viewer, client_for):
    response = client_for(viewer).get(f"/boards/{board.pk}/")
    assert response.status_code == 200
    assert config_of(response)["me"]["role"] == "viewer"
    # The page's script reads the server's answer, not the role.
    assert config_of(response)["me"]["may_edit"] is False
    assert "View only — ask the board owner for edit access" in response.content.decode()


def test_not_a_member_or_no_such_board_is_404(board, outsider, editor, client_for):
    assert client_for(outsider).get(f"/boards/{board.pk}/").status_code == 404
    assert client_for(editor).get("/boards/999999/").status_code == 404
    assert client_for(editor).get(f"/boards/{2**63}/").status_code == 404


def test_board_name_is_escaped_in_the_page(owner, client_for):
    from leads.services import board_create

    board = board_create(name='</script><b>"x"', created_by=owner)
    response = client_for(owner).get(f"/boards/{board.pk}/")
    assert response.status_code == 200
    assert config_of(response)["board"]["name"] == '</script><b>"x"'
    assert "<b>" not in response.content.decode()
