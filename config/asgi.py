"""HTTP through Django, websockets through the board consumer."""

import os

from django.core.asgi import get_asgi_application

from config.memory import malloc_arenas_capped

malloc_arenas_capped()  # before any thread starts

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

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
