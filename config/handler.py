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
from django.http import HttpRequest, HttpResponseBase


class OneThreadASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)  # the chain of WSGI, whatever is asked

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        response: Any = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return response
