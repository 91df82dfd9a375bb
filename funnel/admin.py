from django.contrib import admin

from .models import Meeting, ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("board", "created_by", "created_at", "expires_at", "revoked_at")
    list_filter = ("board",)
    readonly_fields = ("created_at",)
    raw_id_fields = ("board", "created_by")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("board", "started_by", "started_at", "ended_at")
    list_filter = ("board",)
    readonly_fields = ("started_at", "ended_at", "recap")
    raw_id_fields = ("board", "started_by", "ended_by")
