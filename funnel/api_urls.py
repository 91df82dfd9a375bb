from django.urls import path

from funnel.realtime.api import WsTicketApi

from . import api

urlpatterns = [
    path("ws-ticket/", WsTicketApi.as_view(), name="api-ws-ticket"),
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
    # By id (what the list shows); the token route below takes anything else. A
    # token is 43 random URL-safe characters: one made only of digits (odds about
    # 1 in 10^34) would read as an id out of range, a 404, never another link.
    path(
        "boards/<int:board_id>/share-links/<int:link_id>/",
        api.ShareLinkDetailApi.as_view(),
        name="api-board-share-link-by-id",
    ),
    path(
        "boards/<int:board_id>/share-links/<str:token>/",
        api.ShareLinkRevokeApi.as_view(),
        name="api-board-share-link",
    ),
    path(
        "boards/<int:board_id>/meetings/",
        api.MeetingListCreateApi.as_view(),
        name="api-board-meetings",
    ),
    path(
        "boards/<int:board_id>/meetings/<int:meeting_id>/",
        api.MeetingDetailApi.as_view(),
        name="api-board-meeting",
    ),
    path(
        "boards/<int:board_id>/meetings/<int:meeting_id>/end/",
        api.MeetingEndApi.as_view(),
        name="api-board-meeting-end",
    ),
    path(
        "boards/<int:board_id>/meetings/<int:meeting_id>/recap.md",
        api.MeetingRecapMarkdownApi.as_view(),
        name="api-board-meeting-recap-md",
    ),
]
