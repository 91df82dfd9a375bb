"""The webhook worker: delivers every board's stored events to its webhooks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from leads.webhooks import webhooks_deliver_due


class Command(BaseCommand):
    help = "Deliver board events to webhooks, in seq order, with retries (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between passes (default 1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            close_old_connections()
            result = webhooks_deliver_due()
            if result.delivered or result.failed:
                self.stdout.write(f"delivered {result.delivered}, failed {result.failed}")
            if options["once"]:
                return
            time.sleep(options["interval"])
