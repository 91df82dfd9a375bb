from django.urls import path

from . import api

urlpatterns = [
    path("boards/<int:board_id>/funnel/", api.BoardFunnelApi.as_view(), name="api-board-funnel"),
    path("boards/<int:board_id>/charts/", api.BoardChartsApi.as_view(), name="api-board-charts"),
    path(
        "boards/<int:board_id>/transitions/",
        api.BoardTransitionListApi.as_view(),
        name="api-board-transitions",
    ),
    path(
        "boards/<int:board_id>/snapshot.png",
        api.BoardSnapshotApi.as_view(),
        name="api-board-snapshot",
    ),
    path(
        "boards/<int:board_id>/share-links/",
        api.ShareLinkListCreateApi.as_view(),
        name="api-board-share-links",
    ),
    path(
        "boards/<int:board_id>/share-links/<str:token>/",
        api.ShareLinkRevokeApi.as_view(),
        name="api-board-share-link",
    ),
]
