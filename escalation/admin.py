"""SLA timers and escalation events are written by services; the admin only shows them.
Escalation policies and their steps are what admins edit here."""

from django.contrib import admin
from django.db.models import Count

from core.admin import ReadOnlyAdmin
from core.formatting import humane_duration
from escalation.models import (
    Escalation,
    EscalationDue,
    EscalationEvent,
    EscalationPolicy,
    EscalationStep,
)
from incidents.models import SlaTimer


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


# --- Escalation policies (edited here) and what the engine writes (only looked at) ---


class EscalationStepInline(admin.StackedInline):
    model = EscalationStep
    extra = 0
    ordering = ("order", "pk")
    autocomplete_fields = ("notify_user",)
    fields = (
        ("order", "name"),
        ("trigger", "percent", "minutes"),
        ("action", "channel"),
        ("notify_group", "notify_user", "team"),
        ("requires_ack", "ack_timeout", "max_repeats"),
    )


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    """Editing a policy changes escalations that start afterwards: running ones follow the
    snapshot they took, until a supervisor re-applies the current policy to an incident."""

    list_display = ("name", "active", "rank", "covers", "step_count", "updated_at")
    list_filter = ("active", "priorities", "categories")
    search_fields = ("name",)
    filter_horizontal = ("priorities", "categories")
    inlines = [EscalationStepInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("priorities", "categories")
            .annotate(steps_total=Count("steps"))
        )

    @admin.display(description="applies to")
    def covers(self, policy):
        priorities = ", ".join(p.code for p in policy.priorities.all()) or "every priority"
        categories = ", ".join(c.name for c in policy.categories.all()) or "every category"
        return f"{priorities}; {categories}"

    @admin.display(description="steps", ordering="steps_total")
    def step_count(self, policy):
        return policy.steps_total


@admin.register(EscalationEvent)
class EscalationEventAdmin(ReadOnlyAdmin):
    list_display = (
        "incident_reference",
        "step_name",
        "repetition",
        "trigger",
        "action",
        "level",
        "due_at",
        "fired_at",
        "awaiting_ack",
        "acknowledged_by",
    )
    list_filter = (
        "awaiting_ack",
        "trigger",
        "action",
        "level",
        ("acknowledged_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("incident", "acknowledged_by")
    search_fields = ("step_name", "incident__summary", "reason")
    date_hierarchy = "fired_at"

    @admin.display(description="incident", ordering="incident_id")
    def incident_reference(self, event):
        return event.incident.reference


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("incident_reference", "level", "team", "policy_name", "entered_at")
    list_filter = ("level", "policy")
    list_select_related = ("incident",)

    @admin.display(description="incident", ordering="incident_id")
    def incident_reference(self, escalation):
        return escalation.incident.reference

    @admin.display(description="policy (snapshot)")
    def policy_name(self, escalation):
        return escalation.snapshot.get("policy_name", "—")


@admin.register(EscalationDue)
class EscalationDueAdmin(ReadOnlyAdmin):
    list_display = ("incident", "step_id", "repetition", "attempt", "due_at")
    list_select_related = ("incident",)
    ordering = ("due_at",)
