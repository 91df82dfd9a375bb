"""Every read that is more than a ``.get()``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Board


def boards_for_user(user: Any) -> QuerySet[Board]:
    return Board.objects.filter(memberships__user=user).order_by("name", "id")
