"""The ASGI handler of HTTP requests: the middleware and the view in one thread.

Django's own ``ASGIHandler`` runs the middleware chain in async mode. Our views
and most middleware are synchronous, so a request hopped between the event loop
and a worker thread a dozen times (``MiddlewareMixin`` runs each
``process_request`` / ``process_response`` through ``sync_to_async``), which cost
more CPU than the view's own queries. This handler builds the chain as WSGI does
and runs it, view included, in one ``sync_to_async`` call: one hop per request.
Reading the body, sending the response and noticing a client that went away stay
on the event loop, as in Django's handler; websockets never come here
(``config.asgi``).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve


class OneThreadASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)  # the chain of WSGI, whatever is asked

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if runs_apart(request):
            response: Any = await sync_to_async(self.get_response_apart, thread_sensitive=False)(
                request
            )
        else:
            response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return response

    def get_response_apart(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return self.get_response(request)
        finally:
            # The request's end closes the connections of the shared thread, not this
            # one's: give this thread's back (to the pool) here.
            connections.close_all()


def runs_apart(request: HttpRequest) -> bool:
    """Whether the request's view is marked to run apart (``runs_apart``)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None)
    return bool(getattr(view_class, "runs_apart", False))
