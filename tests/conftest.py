"""Shared fixtures: a board with the default funnel, its people, and API clients."""

from __future__ import annotations

import json
import os
import re
import secrets
import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from config.safety import secret_key_problem
from leads.models import Role, Stage, Team
from leads.services import board_member_add, campaign_create
from tests.factories import BoardFactory, UserFactory

# DEBUG is off here as in production, and config.asgi (imported by the socket tests'
# conftests, which load before any pytest_configure) refuses to serve on the embedded
# key: without a real SECRET_KEY the suite gets a random one.
if secret_key_problem(settings.SECRET_KEY):
    settings.SECRET_KEY = secrets.token_urlsafe(50)

# In CI a missing PostgreSQL or Redis is a failure, never a silent skip.
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    from django.conf import settings

    # Hashing passwords properly costs ~0.3 s per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Webhook tests deliver to a real receiver on 127.0.0.1; tests/leads/test_webhook_ssrf.py
    # turns the guard back on.
    settings.WEBHOOK_ALLOW_PRIVATE = True
    # Snapshot tests render in a row; tests/funnel/numbers/test_render_limits.py sets the limits.
    settings.SNAPSHOT_RATE_USER = settings.SNAPSHOT_RATE_BOARD = "100000/min"
    # In-process socket tests count the messages they get: the numbers' push
    # (funnel.realtime.numbers_push) only where a test turns it on. Browser tests
    # run a server of their own, with it on.
    settings.NUMBERS_PUSH = False


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_channel_layers():
    """Each test gets fresh channel layers: no messages leak between tests."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Each test its own cache keys (sign-in counters, socket tickets): under
    REDIS_URL the cache is a Redis shared with other runs and with the channel
    layer, so it is never cleared; other keys expire on their own."""
    run = uuid.uuid4().hex[:12]
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}-t{run}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture
def owner(db):
    return UserFactory(username="olivia", first_name="Olivia", last_name="Owner")


@pytest.fixture
def board(owner):
    return BoardFactory(name="Q4 Pipeline", created_by=owner)


@pytest.fixture
def stages(board):
    """The board's stages by name: stages.New, stages.MQL, ..."""
    return SimpleNamespace(**{s.name: s for s in Stage.objects.filter(board=board)})


@pytest.fixture
def editor(board, owner):
    user = UserFactory(username="dana", first_name="Dana", last_name="Sales")
    board_member_add(
        board_id=board.pk, actor=owner, username=user.username, role=Role.EDITOR, team=Team.SALES
    )
    return user


@pytest.fixture
def viewer(board, owner):
    user = UserFactory(username="vic", first_name="Vic", last_name="Viewer")
    board_member_add(
        board_id=board.pk,
        actor=owner,
        username=user.username,
        role=Role.VIEWER,
        team=Team.MANAGEMENT,
    )
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="mallory")


@pytest.fixture
def campaign(board, owner):
    return campaign_create(
        board_id=board.pk, actor=owner, name="Webinar", channel="webinar", cost=5000
    )


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api(owner):
    return client_for(owner)


def config_of(response) -> dict:
    """The page's config (``json_script`` "board-config") of a board or meeting page."""
    match = re.search(
        r'<script id="board-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page carries its config as json_script"
    return json.loads(match.group(1))
