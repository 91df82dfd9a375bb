from django.contrib import admin

from .models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("board", "created_by", "created_at", "expires_at", "revoked_at")
    list_filter = ("board",)
    readonly_fields = ("token", "created_at")
    raw_id_fields = ("board", "created_by")
