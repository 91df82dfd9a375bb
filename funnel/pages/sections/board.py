"""Settings section: board (templates/settings/board.html): rename, currency,
archive and restore, delete (its owner; delete asks for the board's name), and
copy set-up (any member: the copy is theirs, this board is only read)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from leads.currencies import currency_choices
from leads.models import Board
from leads.services import board_copy, board_delete, board_update

ANCHOR = "board"
Handler = Callable[[HttpRequest, Board, dict[str, Any]], HttpResponse | None]


def see_other(name: str, *args: Any) -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse(name, args=args))
    response.status_code = 303
    return response


def rename(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    result = board_update(board_id=board.pk, actor=request.user, name=request.POST.get("name", ""))
    if result.event:
        messages.success(request, f"The board is now called {result.board.name}.")
    return None


def set_currency(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    currency = request.POST.get("currency", "")
    result = board_update(board_id=board.pk, actor=request.user, currency=currency)
    if result.event:
        messages.success(request, f"Money on the board is now in {result.board.currency}.")
    return None


def archive(archived: bool) -> Handler:
    def switch(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
        board_update(board_id=board.pk, actor=request.user, archived=archived)
        if archived:
            messages.success(request, "The board is archived: it is read-only until restored.")
        else:
            messages.success(request, "The board is restored: it can be changed again.")
        return None

    return switch


def copy(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    made = board_copy(board_id=board.pk, actor=request.user, name=request.POST.get("name", ""))
    return see_other("board", made.pk)


def delete(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    board_delete(board_id=board.pk, actor=request.user, confirm=request.POST.get("confirm"))
    messages.success(request, f"{board.name} is deleted, with everything on it.")
    return see_other("board-list")


ACTIONS: dict[str, Handler] = {
    "board-rename": rename,
    "board-currency": set_currency,
    "board-archive": archive(True),
    "board-restore": archive(False),
    "board-copy": copy,
    "board-delete": delete,
}


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    return {
        "currency_choices": currency_choices(),
        "board_archived": board.archived_at is not None,
        "copy_name": f"Copy of {board.name}"[:200],
    }
