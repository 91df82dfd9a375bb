"""The answer of a database too busy to serve (config.busy): 503 with Retry-After,
JSON for the API and a page for the rest, from a view or from anywhere else."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg_pool
import pytest
from django.db import OperationalError
from django.test import RequestFactory

from config.busy import DatabaseBusyMiddleware, busy_reason, server_error


def wrapped(cause: Exception) -> OperationalError:
    """As Django raises it: its OperationalError with the driver's error as cause."""
    try:
        try:
            raise cause
        except Exception as error:
            raise OperationalError(str(error)) from error
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize(
    "cause, says",
    [
        (psycopg_pool.PoolTimeout("couldn't get a connection after 1.00 sec"), "connection"),
        (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), "changed"),
        (sqlite3.OperationalError("database is locked"), "another write"),
    ],
)
def test_a_busy_database_is_a_503_with_retry_after(cause, says):
    exc = wrapped(cause)
    assert says in busy_reason(exc)
    middleware = DatabaseBusyMiddleware(lambda request: None)
    api = middleware.process_exception(RequestFactory().get("/api/boards/1/state/"), exc)
    assert (api.status_code, api["Retry-After"], api["Content-Type"]) == (
        503,
        "2",
        "application/json",
    )
    page = middleware.process_exception(RequestFactory().get("/boards/1/"), exc)
    assert page.status_code == 503 and b"busy" in page.content


def test_other_errors_are_left_alone():
    middleware = DatabaseBusyMiddleware(lambda request: None)
    request = RequestFactory().get("/api/leads/")
    assert middleware.process_exception(request, ValueError("bug")) is None
    assert middleware.process_exception(request, OperationalError("no such table")) is None


def test_the_500_handler_answers_busy_for_an_error_outside_a_view():
    request = RequestFactory().get("/api/leads/")
    try:
        raise wrapped(psycopg_pool.PoolTimeout("couldn't get a connection"))
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_a_writer_waits_for_a_slot_without_its_connection_then_gives_up(settings):
    import threading
    import time

    from leads.services.tx import WritersBusy, writer_slot

    settings.DB_WRITERS, settings.DB_WRITER_WAIT = 1, 0.3
    held, release = threading.Event(), threading.Event()

    def holder():
        with writer_slot():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    with pytest.raises(WritersBusy) as refused, writer_slot():
        pass
    assert 0.25 < time.monotonic() - started < 2
    assert "at once" in busy_reason(refused.value)
    release.set()
    thread.join(5)
    with writer_slot():  # free again
        pass
