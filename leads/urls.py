from django.urls import path

from leads.api import bridge as api_bridge
from leads.api import life as api_life
from leads.api import me as api_me
from leads.api import notes as api_notes
from leads.api import people as api_people
from leads.api import stages as api_stages
from leads.api import views as api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="api-token"),
    path("boards/", api.BoardListCreateApi.as_view(), name="api-boards"),
    path("boards/<int:board_id>/", api.BoardDetailApi.as_view(), name="api-board"),
    path("boards/<int:board_id>/copy/", api.BoardCopyApi.as_view(), name="api-board-copy"),
    path("board-templates/", api.BoardTemplateListApi.as_view(), name="api-board-templates"),
    path(
        "boards/<int:board_id>/members/",
        api.BoardMemberListCreateApi.as_view(),
        name="api-board-members",
    ),
    path("boards/<int:board_id>/state/", api.BoardStateApi.as_view(), name="api-board-state"),
    path("boards/<int:board_id>/events/", api.BoardEventListApi.as_view(), name="api-board-events"),
    path("events/schema/", api.EventSchemaApi.as_view(), name="api-events-schema"),
    path("boards/<int:board_id>/undo/", api.BoardUndoApi.as_view(), name="api-board-undo"),
    path("campaigns/", api.CampaignListCreateApi.as_view(), name="api-campaigns"),
    path("campaigns/<int:campaign_id>/", api.CampaignDetailApi.as_view(), name="api-campaign"),
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
    path("leads/<int:lead_id>/timeline/", api.LeadTimelineApi.as_view(), name="api-lead-timeline"),
    path("leads/<int:lead_id>/feedback/", api.LeadFeedbackApi.as_view(), name="api-lead-feedback"),
]

# The data bridge (leads.api.bridge): import, export, upsert, feedback loop, webhooks.
urlpatterns += [
    path("boards/<int:board_id>/import/", api_bridge.BoardImportApi.as_view(), name="api-import"),
    path(
        "boards/<int:board_id>/export.csv", api_bridge.BoardExportApi.as_view(), name="api-export"
    ),
    path(
        "boards/<int:board_id>/transitions.csv",
        api_bridge.BoardTransitionsExportApi.as_view(),
        name="api-export-transitions",
    ),
    path(
        "boards/<int:board_id>/leads/upsert/",
        api_bridge.LeadUpsertApi.as_view(),
        name="api-lead-upsert",
    ),
    path(
        "boards/<int:board_id>/rejection-reasons/",
        api_bridge.RejectionReasonsApi.as_view(),
        name="api-rejection-reasons",
    ),
    path(
        "boards/<int:board_id>/lost-reasons/",
        api_bridge.LostReasonsApi.as_view(),
        name="api-lost-reasons",
    ),
    path(
        "boards/<int:board_id>/lead-quality/",
        api_bridge.LeadQualityApi.as_view(),
        name="api-lead-quality",
    ),
    path("boards/<int:board_id>/handoff/", api_bridge.HandoffApi.as_view(), name="api-handoff"),
    path(
        "boards/<int:board_id>/webhooks/",
        api_bridge.WebhookListCreateApi.as_view(),
        name="api-webhooks",
    ),
    path(
        "boards/<int:board_id>/webhooks/<int:webhook_id>/",
        api_bridge.WebhookDetailApi.as_view(),
        name="api-webhook",
    ),
    path(
        "boards/<int:board_id>/webhooks/<int:webhook_id>/deliveries/",
        api_bridge.WebhookDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
]

# A board's stages (leads.api.stages): owners add, change, reorder and remove them.
urlpatterns += [
    path(
        "boards/<int:board_id>/stages/",
        api_stages.BoardStageCreateApi.as_view(),
        name="api-board-stages",
    ),
    path(
        "boards/<int:board_id>/stages/order/",
        api_stages.BoardStageOrderApi.as_view(),
        name="api-board-stages-order",
    ),
    path("stages/<int:stage_id>/", api_stages.StageDetailApi.as_view(), name="api-stage"),
]

# People (leads.api.people): invitations, accepting one, members' roles and leaving.
urlpatterns += [
    path(
        "boards/<int:board_id>/invitations/",
        api_people.InvitationListCreateApi.as_view(),
        name="api-board-invitations",
    ),
    path(
        "invitations/<int:invitation_id>/",
        api_people.InvitationDetailApi.as_view(),
        name="api-invitation",
    ),
    path(
        "invitations/<str:token>/accept/",
        api_people.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "boards/<int:board_id>/members/<int:user_id>/",
        api_people.MemberDetailApi.as_view(),
        name="api-board-member",
    ),
]

# Notes on a lead and the caller's notifications (leads.api.notes).
urlpatterns += [
    path(
        "leads/<int:lead_id>/notes/",
        api_notes.LeadNoteListCreateApi.as_view(),
        name="api-lead-notes",
    ),
    path("notes/<int:note_id>/", api_notes.NoteDetailApi.as_view(), name="api-note"),
    path("notifications/", api_notes.NotificationListApi.as_view(), name="api-notifications"),
    path(
        "notifications/read/",
        api_notes.NotificationReadApi.as_view(),
        name="api-notifications-read",
    ),
    path(
        "notifications/digest/",
        api_notes.NotificationDigestApi.as_view(),
        name="api-notifications-digest",
    ),
]

# Many leads at once, and a lead's end of life (leads.api.life).
urlpatterns += [
    path("boards/<int:board_id>/bulk/", api_life.BoardBulkApi.as_view(), name="api-board-bulk"),
    path(
        "leads/<int:lead_id>/archive/", api_life.LeadArchiveApi.as_view(), name="api-lead-archive"
    ),
    path(
        "leads/<int:lead_id>/restore/", api_life.LeadRestoreApi.as_view(), name="api-lead-restore"
    ),
    path("leads/<int:lead_id>/erase/", api_life.LeadEraseApi.as_view(), name="api-lead-erase"),
]

# The caller's own view of a board (leads.api.me).
urlpatterns += [
    path(
        "boards/<int:board_id>/me/card-sort/",
        api_me.CardSortApi.as_view(),
        name="api-board-card-sort",
    ),
]
