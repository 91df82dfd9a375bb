"""The task worker: runs the queued tasks (webhook deliveries) in threads, and sweeps."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from functools import partial
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from config.memory import malloc_arenas_capped, malloc_large_mapped
from leads.integrations.webhook_delivery import Limits, webhooks_sweep
from leads.services.notifications import overdue_notify
from leads.worker import Sweep, TaskWorker, request_stop, results_prune


class Command(BaseCommand):
    help = (
        "Run the queued tasks (webhook deliveries, each webhook in seq order), several at "
        "once, until stopped (SIGTERM or Ctrl+C lets the tasks under way finish). Run as "
        "many workers as you like, on any machine that reaches the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.WORKER_THREADS,
            help="Tasks run at once (default WORKER_THREADS, %(default)s).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.WORKER_INTERVAL,
            help="Seconds between looks for a task when idle (default WORKER_INTERVAL, "
            "%(default)s).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Sweep once, run the tasks ready now one after another, then exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Before its threads start: the numbers worker computes in pandas (config.memory).
        malloc_arenas_capped()
        malloc_large_mapped()
        limits = Limits.from_settings()  # refuses bad settings before any task runs
        pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
        if isinstance(pool, dict) and pool.get("max_size", 0) < options["threads"] + 2:
            # Each thread holds a pooled connection while it runs a task, the loop that
            # claims tasks one more and the numbers worker (WORKER_SERVICES) another: a
            # smaller pool makes tasks fail waiting for one.
            raise ImproperlyConfigured(
                f"DB_POOL_MAX ({pool['max_size']}) must be at least the worker's threads "
                f"({options['threads']}) and 2."
            )
        sweeps = [
            Sweep(settings.WORKER_SWEEP_INTERVAL, webhooks_sweep),
            Sweep(
                settings.WORKER_SWEEP_INTERVAL,
                partial(results_prune, kept=settings.TASK_RESULTS_KEPT),
            ),
            # Owners of leads past their stage's SLA: at most once a day per lead
            # (the notification's key), however often this runs.
            Sweep(settings.NOTIFY_OVERDUE_INTERVAL, overdue_notify),
        ]
        worker = TaskWorker(threads=options["threads"], interval=options["interval"], sweeps=sweeps)
        if options["batch"]:
            worker.sweep_due()
            self.stdout.write(f"ran {len(worker.run_ready())} tasks")
            return
        self.stop_on_signals()
        self.stdout.write(
            f"Running tasks (pid {os.getpid()}, worker {worker.id}): {worker.threads} at once, "
            f"{limits.timeout:g} s per webhook delivery, {limits.budget:g} s per task."
        )
        stop = threading.Event()
        services = [
            threading.Thread(target=import_string(path), args=(stop,), name=path, daemon=True)
            for path in settings.WORKER_SERVICES
        ]
        for service in services:
            service.start()
        try:
            worker.serve()
        finally:
            stop.set()
            for service in services:
                service.join(timeout=10)
        self.stdout.write("Stopped.")

    def stop_on_signals(self) -> None:
        defaults: dict[int, Callable[[int, FrameType | None], Any] | int] = {
            signal.SIGTERM: signal.SIG_DFL,
            signal.SIGINT: signal.default_int_handler,
        }

        def stop(signum: int, frame: FrameType | None) -> None:
            # The first stops gently; the same signal again has its default effect.
            request_stop()
            signal.signal(signum, defaults[signum])

        for signum in defaults:
            # A background job (`make run`'s `&`) starts with SIGINT ignored: left so.
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, stop)
