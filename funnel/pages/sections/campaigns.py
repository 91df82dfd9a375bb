"""Settings section: campaigns (templates/settings/campaigns.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from leads.models import Board

ANCHOR = "campaigns"
ACTIONS: dict[str, Any] = {}


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    return {}
