"""The webhook worker: delivers every board's stored events to its webhooks."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from leads.webhooks import Limits, PassResult, webhooks_deliver_due, worker_run


class Command(BaseCommand):
    help = (
        "Deliver board events to webhooks, in seq order per webhook, all webhooks at once, "
        "with retries (runs until stopped; SIGTERM or Ctrl+C lets the deliveries under way "
        "finish)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="One pass over the due webhooks, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks for newly due webhooks (default 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.report(webhooks_deliver_due())
            return
        stopping = threading.Event()
        defaults: dict[int, Callable[[int, FrameType | None], Any] | int] = {
            signal.SIGTERM: signal.SIG_DFL,
            signal.SIGINT: signal.default_int_handler,
        }

        def stop(signum: int, frame: FrameType | None) -> None:
            # The first stops gently; the same signal again has its default effect.
            stopping.set()
            signal.signal(signum, defaults[signum])

        for signum in defaults:
            # A background job (`make run`'s `&`) starts with SIGINT ignored: left so.
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, stop)
        limits = Limits.from_settings()
        self.stdout.write(
            f"Delivering webhooks (pid {os.getpid()}): up to {limits.concurrency} at once, "
            f"{limits.timeout:g} s per delivery, {limits.budget:g} s per claim."
        )
        worker_run(interval=options["interval"], stopping=stopping, report=self.report)

    def report(self, result: PassResult) -> None:
        if result.delivered or result.failed or result.lost:
            lost = f", lost {result.lost} leases" if result.lost else ""
            self.stdout.write(f"delivered {result.delivered}, failed {result.failed}{lost}")
