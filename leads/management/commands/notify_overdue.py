"""Tell each owner of a lead past its stage's SLA (the worker does it hourly too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from leads.services.notifications import overdue_notify


class Command(BaseCommand):
    help = (
        "Notify the owners of leads past their stage's SLA, at most once a day per lead "
        "(safe to run as often as you like; `manage.py worker` runs it every "
        "NOTIFY_OVERDUE_INTERVAL seconds)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        told = overdue_notify()
        self.stdout.write(f"{told} overdue notification{'s' if told != 1 else ''} made")
