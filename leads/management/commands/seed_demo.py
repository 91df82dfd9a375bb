"""``manage.py seed_demo``: a demo board with six months of generated history."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.demo.generator import (
    DEMO_BOARD_NAME,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    bulk_loaded,
    demo_seed,
)
from leads.models import Board


def aware(value: str) -> datetime:
    """``--now``: an ISO date or datetime; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Create a demo board: the demo logins, eight campaigns and leads with six months "
        f"of funnel history. The password is $DEMO_PASSWORD (default {DEMO_PASSWORD!r})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=2_000, help="number of leads (2000)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
        parser.add_argument("--board-name", default=DEMO_BOARD_NAME)
        parser.add_argument(
            "--now",
            type=aware,
            default=None,
            help="anchor of the history, ISO date or datetime (default: start of today, UTC)",
        )
        parser.add_argument(
            "--transitions-per-lead",
            type=float,
            default=None,
            help="target average transitions per lead (more rework loops); default: natural",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="when any board exists, only print the demo logins",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress, only the summary")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEMO_PASSWORD
        logins = f"Demo logins: {' / '.join(DEMO_LOGINS)}, password: {password}"
        if options["if_empty"] and Board.objects.exists():
            self.stdout.write(f"A board exists; nothing seeded. {logins}")
            return
        if options["leads"] < 0:
            raise CommandError("--leads must be 0 or more.")

        def progress(done: int, total: int) -> None:
            if not options["quiet"]:
                self.stdout.write(f"  {done:,}/{total:,} leads")

        started = time.perf_counter()
        result = demo_seed(
            board_name=options["board_name"],
            leads=options["leads"],
            seed=options["seed"],
            now=options["now"],
            password=password,
            transitions_per_lead=options["transitions_per_lead"],
            progress=progress,
        )
        bulk_loaded(result.leads)
        seconds = time.perf_counter() - started
        board = result.board
        self.stdout.write(self.style.SUCCESS(f"Seeded {board.name!r}: /boards/{board.pk}/"))
        self.stdout.write(
            f"  {result.leads:,} leads, {result.transitions:,} transitions, "
            f"{result.feedback:,} feedback, {result.campaigns} campaigns, "
            f"{result.people} people in {seconds:.1f} s"
        )
        if result.existing_users:
            existed = ", ".join(result.existing_users)
            self.stdout.write(f"  Existing users kept their passwords: {existed}")
        self.stdout.write(logins)
        self.stdout.write(
            f"New users join it as viewers from the boards page when DEMO_BOARD={board.slug}"
            " (make run sets it)."
        )
