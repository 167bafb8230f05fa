"""SLA timers are set and stopped by services; the admin only shows them."""

from django.contrib import admin

from escalation.models import SlaTimer
from incidents.admin import ReadOnlyAdmin, humane_duration


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdmin):
    list_display = (
        "incident_reference",
        "kind",
        "target_humane",
        "started_at",
        "due_at",
        "paused_at",
        "met_at",
        "is_running",
    )
    list_filter = ("kind", ("met_at", admin.EmptyFieldListFilter))
    list_select_related = ("incident",)
    search_fields = ("incident__summary", "incident__location")
    date_hierarchy = "due_at"
    ordering = ("due_at",)

    @admin.display(description="incident", ordering="incident_id")
    def incident_reference(self, timer):
        return timer.incident.reference

    @admin.display(description="target", ordering="target")
    def target_humane(self, timer):
        return humane_duration(timer.target)

    @admin.display(description="running", boolean=True)
    def is_running(self, timer):
        return timer.running
