"""Settings section: stages (templates/settings/stages.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from leads.models import Board

ANCHOR = "stages"
ACTIONS: dict[str, Any] = {}


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    return {}
