"""Request middleware of the project: what a proxy header may claim, and timings.

``ServerTimingMiddleware`` adds ``Server-Timing`` (time in the app and in SQL, and the
query count) when ``settings.SERVER_TIMING`` is on (DEBUG, or SERVER_TIMING=1): browsers
show it in their dev tools and the benchmarks read it; in production it would tell
anyone how long our queries take."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from config.clients import is_trusted_proxy


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.SERVER_TIMING:
            return self.get_response(request)
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


class ForwardedProtoMiddleware:
    """``X-Forwarded-Proto`` (``SECURE_PROXY_SSL_HEADER``) counts only from a proxy named
    in ``TRUSTED_PROXIES``, as ``X-Forwarded-For`` does (config.clients): a client that
    reaches the server directly cannot claim HTTPS over plain HTTP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not is_trusted_proxy(
            request.META.get("REMOTE_ADDR")
        ):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
