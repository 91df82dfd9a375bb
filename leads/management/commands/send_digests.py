"""The daily email digest of unread notifications (run it once a day, from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.services.notifications import digests_send


class Command(BaseCommand):
    help = (
        "Email each person who turned the digest on their unread notifications that no "
        "digest carried yet (one email per person; links start with SITE_URL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default=None, help="Instead of SITE_URL.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = digests_send(base_url=options["base_url"])
        self.stdout.write(f"{result.sent} digest{'s' if result.sent != 1 else ''} sent")
        if result.failed:
            raise CommandError(f"{result.failed} could not be mailed; they go with the next run")
