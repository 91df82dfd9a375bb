"""``manage.py tallies [--rebuild] [--board ID]``: how far each board's tallies
(``StageTally``) are from a fresh count, and with ``--rebuild`` recount them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from leads.models import Board
from leads.services.tallies import board_tallies_drift, board_tallies_rebuild


class Command(BaseCommand):
    help = "Report the boards whose stage tallies differ from a fresh count; --rebuild mends them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--board", type=int, help="only this board (id)")
        parser.add_argument("--rebuild", action="store_true", help="recount the drifted tallies")

    def handle(self, *args: Any, board: int | None = None, rebuild: bool = False, **opts: Any):
        boards = Board.objects.order_by("id")
        if board is not None:
            boards = boards.filter(pk=board)
            if not boards.exists():
                raise CommandError(f"No board {board}.")
        drifted = 0
        for row in boards.only("id", "name"):
            with transaction.atomic():
                drift = board_tallies_drift(row)
                if not drift:
                    continue
                drifted += 1
                for (stage_id, key), sides in drift.items():
                    if isinstance(key, date):  # a count of the leads that entered that day
                        self.stdout.write(
                            f"board {row.pk} stage {stage_id} entered {key.isoformat()}: "
                            f"kept {sides['kept']}, fresh {sides['fresh']}"
                        )
                        continue
                    self.stdout.write(
                        f"board {row.pk} stage {stage_id} campaign {key or '-'}: "
                        f"kept {sides['kept'][0]} / {sides['kept'][1] / 100:.2f}, "
                        f"fresh {sides['fresh'][0]} / {sides['fresh'][1] / 100:.2f}"
                    )
                if rebuild:
                    board_tallies_rebuild(row)
                    self.stdout.write(f"board {row.pk}: rebuilt")
        mended = ", rebuilt" if rebuild and drifted else ""
        self.stdout.write(f"{drifted} board(s) drifted{mended}")
