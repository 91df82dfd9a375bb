"""The admin looks at everything and changes only what no event is about.

Leads, stages, campaigns and reasons change through ``leads.services``, the one
write path that stores a transition and an event and bumps the board's seq; a
change made here would reach no browser and no webhook, and the transitions
cache (checked by count and max id) would not notice it. So those, and the
append-only logs (transitions, events, feedback, deliveries), are read-only
here. Boards' names and memberships stay editable: no event is about them yet.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Board,
    BoardEvent,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    RejectionReason,
    Stage,
    StageTransition,
    Webhook,
    WebhookDelivery,
)


class ReadOnly:
    """View only: no add, change or delete (see the module docstring)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StageInline(ReadOnly, admin.TabularInline):
    model = Stage
    extra = 0


class MembershipInline(admin.TabularInline):
    model = BoardMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "last_seq", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["last_seq"]
    inlines = [StageInline, MembershipInline]


@admin.register(BoardMembership)
class BoardMembershipAdmin(admin.ModelAdmin):
    list_display = ["board", "user", "role", "team"]
    list_filter = ["role", "team", "board"]
    raw_id_fields = ["user"]


@admin.register(Stage)
class StageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "name",
        "board",
        "position",
        "kind",
        "team",
        "sla_days",
        "wip_limit",
        "removed_at",
    ]
    list_filter = ["board", "kind", "team"]

    def get_queryset(self, request: Any) -> Any:
        # Removed stages too: the transitions of the past name them.
        return Stage.all_objects.select_related("board")


@admin.register(Campaign)
class CampaignAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "board", "channel", "cost", "starts_on", "ends_on"]
    list_filter = ["board", "channel"]
    search_fields = ["name", "external_id"]


@admin.register(Lead)
class LeadAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "company", "board", "stage", "campaign", "score", "value", "version"]
    list_filter = ["board", "stage", "campaign"]
    search_fields = ["name", "email", "company", "external_id"]
    raw_id_fields = ["owner"]
    list_select_related = ["board", "stage", "campaign"]


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["lead", "from_stage", "to_stage", "actor", "at", "source", "batch"]
    list_filter = ["board", "source"]
    raw_id_fields = ["lead", "actor", "reverts"]
    list_select_related = ["lead", "from_stage", "to_stage", "actor"]


@admin.register(LeadFeedback)
class LeadFeedbackAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["lead", "verdict", "reason", "actor", "at"]
    list_filter = ["verdict", "reason"]
    raw_id_fields = ["lead", "actor"]


@admin.register(BoardEvent)
class BoardEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["board", "seq", "type", "actor", "at"]
    list_filter = ["board", "type"]
    raw_id_fields = ["actor"]


@admin.register(RejectionReason)
class RejectionReasonAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["label", "board", "position"]
    list_filter = ["board"]


DELIVERY_COLUMNS = (
    "seq",
    "event_type",
    "status",
    "attempts",
    "response_code",
    "error",
    "next_attempt_at",
    "delivered_at",
)


class WebhookDeliveryInline(ReadOnly, admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    ordering = ["-seq"]
    fields = DELIVERY_COLUMNS


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "board", "active", "delivered_seq", "created_by", "created_at"]
    list_filter = ["board", "active"]
    raw_id_fields = ["created_by"]
    # The deliverer's cursor: never written from here.
    readonly_fields = ["delivered_seq"]
    inlines = [WebhookDeliveryInline]

    def save_model(self, request, obj, form, change):
        if change:  # only what the form changed: a full save could set back the cursor
            obj.save(update_fields=form.changed_data or None)
        else:
            obj.save()


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, admin.ModelAdmin):
    """The delivery log: what each webhook was sent, and what its receiver said."""

    list_display = ("webhook", *DELIVERY_COLUMNS)
    list_filter = ["status", "webhook__board"]
    list_select_related = ["webhook"]
