"""Admin pieces every app uses."""

from django.contrib import admin

from core.models import IdempotencyKey


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: admins look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "method", "path", "status_code", "created_at")
    list_select_related = ("user",)
    search_fields = ("key", "user__username", "path")
    ordering = ("-created_at",)
