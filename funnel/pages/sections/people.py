"""Settings section: people (templates/settings/people.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from leads.models import Board

ANCHOR = "people"
ACTIONS: dict[str, Any] = {}


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    return {}
