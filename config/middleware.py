"""``Server-Timing`` on every response: time in the app and in SQL, and the query
count. Browsers show it in their dev tools; the benchmarks read it."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = 0
        sql_seconds = 0.0

        def count(execute, sql, params, many, context):
            nonlocal queries, sql_seconds
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries += 1
                sql_seconds += time.perf_counter() - started

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        app_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = (
            f'app;dur={app_ms:.2f}, db;dur={sql_seconds * 1000:.2f};desc="{queries} queries"'
        )
        return response
