"""HTTP through Django, websockets through the board consumer."""

import os
import sys

import django

from config.memory import malloc_arenas_capped, malloc_large_mapped

malloc_arenas_capped()  # before any thread starts
malloc_large_mapped()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

# A request's thread, back from each database or Redis round trip, waits for the GIL
# while another thread computes (a board's numbers): up to the switch interval each
# time, CPython's 5 ms by default, so a move of a dozen round trips could wait 60 ms.
sys.setswitchinterval(settings.GIL_SWITCH_INTERVAL)

from config.handler import OneThreadASGIHandler  # noqa: E402

django_asgi_app = OneThreadASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.safety import refuse_unsafe_defaults  # noqa: E402
from funnel.realtime.auth import TokenOrSessionAuthMiddlewareStack, origin_checked  # noqa: E402
from funnel.realtime.routing import websocket_urlpatterns  # noqa: E402

refuse_unsafe_defaults()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_checked(
            TokenOrSessionAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
