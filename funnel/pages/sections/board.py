"""Settings section: board (templates/settings/board.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from leads.models import Board

ANCHOR = "board"
ACTIONS: dict[str, Any] = {}


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    return {}
