"""Admin: the outbox, read-only. Messages and their attempts are written only by
messaging.services; here a person sees what was sent, to whom, and every attempt."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from messaging.models import DeliveryAttempt, Message


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "finished_at", "ok", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "incident",
        "recipient",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("recipient", "address", "subject")
    list_select_related = ("incident",)
    # The webhook signing key is copied onto the message for the worker, never shown.
    exclude = ("signing_secret",)
    inlines = [DeliveryAttemptInline]
