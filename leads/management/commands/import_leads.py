"""Import a CSV export of leads into a board: the same import as the web UI."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.errors import ServiceError
from leads.events.schema import ImportPhase
from leads.services.imports import leads_import, progress_to_board


class ProgressBar:
    """A one-line progress bar on stderr, per phase (check, then write)."""

    def __init__(self, stream: Any, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.last: tuple[str, int] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if self.last == (phase, percent):
            return
        self.last = (phase, percent)
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{phase:>5} [{bar}] {percent:3d}% {done}/{total}{end}")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import leads from a CSV export (HubSpot, Salesforce, Marketo or any CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--board", type=int, required=True, help="Board id.")
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")
        parser.add_argument(
            "--create-missing", action="store_true", help="Create unknown stages and campaigns."
        )
        parser.add_argument(
            "--new-stages-after",
            type=int,
            help="Stage id: created stages follow this open stage (default: before Won/Lost).",
        )
        parser.add_argument("--mapping", help='JSON: {"CSV column": "lead field"}.')
        parser.add_argument(
            "--good-rows",
            action="store_true",
            help="Import the rows without problems and skip the others (default: all or nothing).",
        )
        parser.add_argument(
            "--rejected",
            type=Path,
            help="Write the rows with problems, and their problems, to this CSV file.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"])
            except ValueError:
                raise CommandError("--mapping must be a JSON object.") from None
        board_id = options["board"]
        bar = None if options["no_progress"] else ProgressBar(sys.stderr)
        to_board = progress_to_board(board_id)

        def progress(phase: ImportPhase, done: int, total: int) -> None:
            to_board(phase, done, total)
            if bar is not None:
                bar(phase, done, total)

        try:
            result = leads_import(
                board_id=board_id,
                actor=None,
                data=data,
                mapping=mapping,
                dry_run=options["dry_run"],
                create_missing=options["create_missing"],
                new_stages_after=options["new_stages_after"],
                mode="good_rows" if options["good_rows"] else "all",
                progress=progress,
            )
        except ServiceError as exc:
            raise CommandError(exc.detail) from None
        for error in result.errors:
            where = f"row {error['row']}" if error["row"] else "file"
            field = f" [{error['field']}]" if error["field"] else ""
            self.stderr.write(f"{where}{field}: {error['message']}")
        if options["rejected"] and result.rejected_csv:
            try:
                options["rejected"].write_text(result.rejected_csv, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {options['rejected']}: {exc}") from None
        verb = "would be" if result.dry_run else "were"
        skipped = (
            f", {result.rejected} rows skipped" if result.errors and not result.refused else ""
        )
        self.stdout.write(
            f"{result.created} {verb} created, {result.updated} updated, "
            f"{result.unchanged} unchanged{skipped} (columns read as {result.preset})."
        )
        if result.refused:
            raise CommandError(f"{len(result.errors)} problem(s): nothing was imported.")
