from django.urls import path

from . import api

urlpatterns = [
    path("boards/<int:board_id>/funnel/", api.BoardFunnelApi.as_view(), name="api-board-funnel"),
]
