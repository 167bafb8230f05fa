"""Admin pieces every app uses."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: admins look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
