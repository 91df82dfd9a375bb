"""Websocket routes (mounted by ``config.asgi``)."""

from django.urls import re_path

from funnel.realtime.consumer import BoardConsumer, NoSuchSocket

# Board ids in ASCII digits only (``\\d`` would take "١٢"); any other path is
# refused with 4404 instead of an error in the router.
websocket_urlpatterns = [
    re_path(r"^ws/boards/(?P<board_id>[0-9]+)/$", BoardConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),
]
