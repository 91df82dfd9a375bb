"""The task worker (``manage.py worker``): runs the queued tasks of the database
backend (django-tasks-db) in threads, and now and then the sweeps it is given.

django-tasks-db's own ``db_worker`` runs one task at a time, so one webhook whose
receiver takes seconds would hold up every other task. This worker claims a task
exactly as ``db_worker`` does (a ready row, locked with ``SKIP LOCKED`` inside an
exclusive transaction, marked running with this worker's id: no two workers run
the same task) but only while one of its threads is free, and runs it there with
``db_worker``'s own ``run_task`` (result, errors and signals recorded as upstream
records them). Each thread has its own database connection, checked before and
after every task as ``db_worker`` checks its one.

Stopping (``request_stop``: SIGTERM or Ctrl+C) claims nothing more and waits for
the tasks under way; a task that loops (a webhook's backlog) asks ``stop_requested``
between steps and hands the rest to a new task for another worker to run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import OperationalError, close_old_connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, Task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger(__name__)

_stopping = threading.Event()
# Longest wait after a failed look for work (the database is away, say).
ERROR_BACKOFF_CAP = 30.0


def stop_requested() -> bool:
    """Whether this process's worker is stopping (a task may end early and hand over)."""
    return _stopping.is_set()


def request_stop() -> None:
    _stopping.set()


def worker_id() -> str:
    """Unique across the workers (django-tasks-db records it on each task it ran)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Sweep:
    """Something the worker runs every ``every`` seconds (and once at start)."""

    every: float
    run: Callable[[], object]
    due: float = field(default=0.0)


def tasks_waiting(task: Task, firsts: Sequence[int]) -> set[int]:
    """Of ``firsts``, the first arguments of the ``task``'s tasks that are ready and not
    started (claimed: running, and past reading anything). Empty for a backend that is
    not the database's: nothing is known to be waiting."""
    if not isinstance(task.get_backend(), DatabaseBackend):
        return set()
    ready = DBTaskResult.objects.ready().filter(
        backend_name=task.backend, task_path=task.module_path, args_kwargs__args__0__in=firsts
    )
    return set(ready.values_list("args_kwargs__args__0", flat=True))


def results_prune(*, kept: float, batch: int = 1000, batches: int = 50) -> int:
    """Delete the successful task rows finished more than ``kept`` seconds ago (failed
    ones stay for reading): a batch per statement, so no sweep holds a write lock for
    long, and at most ``batches`` of them (the next sweep goes on). How many went."""
    old = DBTaskResult.objects.successful().filter(
        finished_at__lt=timezone.now() - dt.timedelta(seconds=kept)
    )
    total = 0
    for _ in range(batches):
        ids = list(old.values_list("pk", flat=True)[:batch])
        deleted, _ = DBTaskResult.objects.filter(pk__in=ids).delete()
        total += deleted
        if len(ids) < batch:
            break
    return total


class TaskWorker:
    def __init__(
        self,
        *,
        threads: int,
        interval: float,
        sweeps: Sequence[Sweep] = (),
        backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    ) -> None:
        if threads < 1 or interval <= 0:
            raise ValueError("a worker needs at least one thread and a positive interval")
        self.threads = threads
        self.interval = interval
        self.sweeps = list(sweeps)
        self.backend = backend
        self.id = worker_id()
        # Upstream's runner, for its run_task only (its loop runs one task at a time).
        self.runner = DbWorker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name=backend,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.id,
            excluded_queue_names=[],
        )
        self.free = threading.Semaphore(threads)

    def claim(self) -> DBTaskResult | None:
        """The next ready task, marked running by this worker; ``None`` when there is none
        (or SQLite is busy: looked at again next time)."""
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend)
        if not ready.exists():
            return None  # idle: no exclusive transaction (on SQLite, every writer's lock)
        try:
            with exclusive_transaction(ready.db):
                task = ready.get_locked()
                if task is not None:
                    task.claim(self.id)
                return task
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def run(self, task: DBTaskResult) -> None:
        """Run a claimed task here (``serve`` runs each in a thread of its own)."""
        self.runner.run_task(task)

    def run_ready(self) -> list[DBTaskResult]:
        """Claim and run ready tasks one after another on this thread until none is
        ready (tests, ``--batch``); those that ran, as they ended."""
        ran = []
        while (task := self.claim()) is not None:
            self.run(task)
            ran.append(task)
        return ran

    def sweep_due(self) -> None:
        clock = time.monotonic()
        for sweep in self.sweeps:
            if clock >= sweep.due:
                sweep.due = clock + sweep.every
                try:
                    sweep.run()
                except Exception:
                    logger.exception("worker sweep %s failed", sweep.run)

    def in_thread(self, task: DBTaskResult) -> None:
        try:
            close_old_connections()
            self.run(task)
        finally:
            close_old_connections()
            self.free.release()

    def serve(self) -> None:
        """Run tasks until ``request_stop``; then wait for those under way."""
        try:
            self.serve_until_stopped()
        finally:
            close_old_connections()
            _stopping.clear()  # the request was for this run (a test may serve again)

    def serve_until_stopped(self) -> None:
        backoff = self.interval
        with ThreadPoolExecutor(self.threads, thread_name_prefix="task") as pool:
            while not _stopping.is_set():
                # A thread must be free before a task is claimed: a claimed task is marked
                # running, and one that only waited for a thread would die with the process.
                if not self.free.acquire(timeout=self.interval):
                    continue
                try:
                    close_old_connections()
                    self.sweep_due()
                    task = self.claim()
                except Exception:
                    self.free.release()
                    logger.exception("worker: looking for a task failed")
                    _stopping.wait(backoff)
                    backoff = min(backoff * 2, ERROR_BACKOFF_CAP)
                    continue
                backoff = self.interval
                if task is None:
                    self.free.release()
                    _stopping.wait(self.interval)
                    continue
                pool.submit(self.in_thread, task)
