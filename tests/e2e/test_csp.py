"""The Content-Security-Policy in real Chromium: every page answers with it and runs
under it without a single violation (no inline script or style, plotly.js, Konva, the
live socket, the admin and the API docs all work within it).

Each page's context records ``securitypolicyviolation`` events from before the
first script runs (an init script), and the console's "Refused to ..." lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.test_meeting import end_running_meeting, open_meeting
from tests.server import Server

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push({
    directive: event.effectiveDirective, blocked: event.blockedURI,
    source: event.sourceFile, line: event.lineNumber, column: event.columnNumber,
    sample: event.sample,
  });
}, true);
"""
ADMIN = "csp-admin"
ADMIN_PASSWORD = "csp-admin-pass-123"


class Watched:
    """A browser context whose pages record CSP violations and refusals."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.refusals: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("page", self.watch)

    def watch(self, page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                self.refusals.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def visit(self, page: Page, url: str) -> str:
        """Go to ``url``; the Content-Security-Policy it answered with."""
        response = page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        directives = dict(
            (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
        )
        assert directives.get("script-src") == ["'self'"], (url, policy)
        assert directives.get("object-src") == ["'none'"], (url, policy)
        return policy

    def assert_clean(self, page: Page, where: str) -> None:
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], f"{where}: {json.dumps(violations, indent=1)}"
        assert self.refusals == [], (where, self.refusals)


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    yield Watched(context)
    context.close()


def test_board_and_its_charts_run_under_the_policy(server: Server, board_id: int, watched):
    page = watched.context.new_page()
    watched.visit(page, f"{server.url}/login/")
    watched.assert_clean(page, "login")
    log_in(watched.context, server.url, "marketing").close()

    watched.visit(page, f"{server.url}/")
    assert page.locator(f"a[href='/boards/{board_id}/']").count() == 1
    watched.assert_clean(page, "boards list")

    watched.visit(page, f"{server.url}/boards/{board_id}/")
    open_board(page, server.url, board_id)  # the socket is live: connect-src allows it
    # plotly.js draws the panel's four charts; Konva draws the board on its canvas.
    page.wait_for_function(
        "() => window.funnelboard.panelCharts?.().drawn.length === 4",
        timeout=20000,
    )
    assert page.locator("#panel-charts .main-svg").count() >= 4
    assert page.locator("#board-canvas canvas").count() >= 1
    # A write carries the page's CSRF token (the cookie is HttpOnly now).
    assert page.evaluate("document.cookie.includes('csrftoken')") is False
    answers = page.evaluate(
        """async (board) => {
          const token = document.querySelector('meta[name="csrf-token"]').content;
          const undo = (headers) => fetch(`/api/boards/${board}/undo/`, {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', ...headers },
            body: JSON.stringify({ batch: '00000000-0000-0000-0000-000000000000' }) })
            .then(async (r) => [r.status, (await r.json()).detail]);
          return [await undo({ 'X-CSRFToken': token }), await undo({})];
        }""",
        board_id,
    )
    with_token, without = answers
    assert with_token[0] in (400, 404) and "CSRF" not in str(with_token[1]), with_token
    assert without[0] == 403 and "CSRF" in without[1], without
    screenshot(page, "csp-board")
    watched.assert_clean(page, "board")


def test_meeting_and_settings_run_under_the_policy(server: Server, board_id: int, watched):
    end_running_meeting(server, board_id)
    page = log_in(watched.context, server.url, "manager")
    watched.visit(page, f"{server.url}/boards/{board_id}/meeting/")
    open_meeting(page, f"{server.url}/boards/{board_id}/meeting/")
    # The early theme script (a file now) set the theme before the first paint.
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.click("#meeting-theme")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    page.wait_for_selector("body[data-board-ready='1']", timeout=15000)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.click("#meeting-theme")  # leave the shared browser profile as it was
    watched.assert_clean(page, "meeting")

    watched.visit(page, f"{server.url}/boards/{board_id}/settings/")
    # The secret shown once selects itself on focus (select-on-focus.js, not onfocus=).
    selected = page.evaluate(
        """() => {
          const field = Object.assign(document.createElement('input'), { value: 'whsec-123' });
          field.setAttribute('data-select-on-focus', '');
          document.querySelector('main').append(field);
          field.focus();
          return [field.selectionStart, field.selectionEnd];
        }"""
    )
    assert selected == [0, len("whsec-123")]
    watched.assert_clean(page, "settings")


def test_admin_and_api_docs_run_under_the_policy(server: Server, watched):
    server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User\n"
        f"User.objects.filter(username='{ADMIN}').exists() or "
        f"User.objects.create_superuser('{ADMIN}', 'admin@example.com', '{ADMIN_PASSWORD}')",
    )
    page = watched.context.new_page()
    watched.visit(page, f"{server.url}/admin/login/")
    page.fill("#id_username", ADMIN)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")
    watched.assert_clean(page, "admin login")
    for path in ("/admin/", "/admin/leads/lead/", "/admin/leads/board/add/"):
        watched.visit(page, f"{server.url}{path}")
        watched.assert_clean(page, path)

    watched.visit(page, f"{server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".swagger-ui .opblock").count() > 20
    watched.assert_clean(page, "api docs")
