from django.contrib import admin
from django.http import HttpRequest

from .models import Meeting, ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("board", "created_by", "created_at", "expires_at", "revoked_at")
    list_filter = ("board",)
    readonly_fields = ("created_at",)
    raw_id_fields = ("board", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A link is made through the API, the one place its token is shown (only a
        # digest is stored); here links are only looked at, changed or deleted.
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("board", "started_by", "started_at", "ended_at")
    list_filter = ("board",)
    readonly_fields = ("started_at", "ended_at", "recap")
    raw_id_fields = ("board", "started_by", "ended_by")
