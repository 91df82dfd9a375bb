from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="api-token"),
    path("boards/", api.BoardListCreateApi.as_view(), name="api-boards"),
    path("boards/<int:board_id>/", api.BoardDetailApi.as_view(), name="api-board"),
    path(
        "boards/<int:board_id>/members/",
        api.BoardMemberListCreateApi.as_view(),
        name="api-board-members",
    ),
    path("boards/<int:board_id>/state/", api.BoardStateApi.as_view(), name="api-board-state"),
    path("boards/<int:board_id>/events/", api.BoardEventListApi.as_view(), name="api-board-events"),
    path("boards/<int:board_id>/undo/", api.BoardUndoApi.as_view(), name="api-board-undo"),
    path("campaigns/", api.CampaignListCreateApi.as_view(), name="api-campaigns"),
    path(
        "campaigns/<int:campaign_id>/move/", api.CampaignMoveApi.as_view(), name="api-campaign-move"
    ),
    path("leads/", api.LeadListCreateApi.as_view(), name="api-leads"),
    path("leads/<int:lead_id>/", api.LeadDetailApi.as_view(), name="api-lead"),
    path("leads/<int:lead_id>/move/", api.LeadMoveApi.as_view(), name="api-lead-move"),
    path(
        "leads/<int:lead_id>/transitions/",
        api.LeadTransitionListApi.as_view(),
        name="api-lead-transitions",
    ),
    path("leads/<int:lead_id>/feedback/", api.LeadFeedbackApi.as_view(), name="api-lead-feedback"),
]
