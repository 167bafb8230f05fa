"""Incidents, the impact/urgency priority matrix, the append-only timeline, the SLA clocks."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.lifecycle import (
    CARE_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Status,
    TimerKind,
)


class AssessmentLevel(models.Model):
    """One step of an assessment scale that agents choose from while on the call."""

    rank = models.PositiveSmallIntegerField(unique=True, help_text="1 is the highest level.")
    name = models.CharField(max_length=50, unique=True)
    criteria = models.TextField(blank=True, help_text="What agents check to choose this level.")

    class Meta:
        abstract = True
        ordering = ["rank"]

    def __str__(self):
        return f"{self.rank} – {self.name}"


class ImpactLevel(AssessmentLevel):
    """How widely the incident affects people, sites or services."""


class UrgencyLevel(AssessmentLevel):
    """How soon harm follows if nothing is done."""


class Priority(models.Model):
    code = models.CharField(max_length=8, unique=True, help_text="P1 … P5")
    rank = models.PositiveSmallIntegerField(unique=True, help_text="1 is handled first.")
    name = models.CharField(max_length=50)
    colour = models.CharField(
        max_length=7,
        default="#666666",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #d62728.")],
    )
    response_target = models.DurationField(help_text="Time to first response, e.g. 00:15:00.")
    resolution_target = models.DurationField(help_text="Time to resolve, e.g. 04:00:00.")
    update_interval = models.DurationField(help_text="How often the customer must be updated.")

    class Meta:
        ordering = ["rank"]
        verbose_name_plural = "priorities"

    def __str__(self):
        return f"{self.code} {self.name}"


class PriorityMatrix(models.Model):
    """The organisation's impact × urgency grid; its version is stamped on every incident."""

    name = models.CharField(max_length=80, default="Priority matrix")
    # Bumped on every save of the grid; 0 until the first grid is saved.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "priority matrix"

    def __str__(self):
        return f"{self.name} (version {self.version})"


class MatrixCell(models.Model):
    matrix = models.ForeignKey(PriorityMatrix, on_delete=models.CASCADE, related_name="cells")
    impact = models.ForeignKey(ImpactLevel, on_delete=models.CASCADE, related_name="+")
    urgency = models.ForeignKey(UrgencyLevel, on_delete=models.CASCADE, related_name="+")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["matrix", "impact", "urgency"], name="one_cell_per_impact_urgency"
            )
        ]

    def __str__(self):
        return f"{self.impact.name} × {self.urgency.name} → {self.priority.code}"


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    active = models.BooleanField(default=True)
    questions = models.TextField(blank=True, help_text="Questions to ask the caller, one a line.")
    checklist = models.TextField(blank=True, help_text="Checks before saving, one a line.")
    quick_reference = models.TextField(blank=True, help_text="Short notes shown while logging.")
    default_impact = models.ForeignKey(
        ImpactLevel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    @property
    def question_list(self):
        return [line.strip() for line in self.questions.splitlines() if line.strip()]

    @property
    def checklist_items(self):
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class RecordType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    QUERY = "query", "Query or complaint"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    CHAT = "chat", "Web chat"
    SOCIAL = "social", "Social media"
    SMS = "sms", "SMS"
    WALK_IN = "walk_in", "In person"
    WEB = "web", "Web form"


class Incident(models.Model):
    record_type = models.CharField(
        max_length=20, choices=RecordType.choices, default=RecordType.INCIDENT
    )
    contact_channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    received_at = models.DateTimeField(default=timezone.now)
    caller_name = models.CharField(max_length=120, blank=True)
    caller_phone = models.CharField(max_length=40, blank=True)
    caller_email = models.EmailField(max_length=254, blank=True)
    location = models.CharField(max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="incidents")
    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    asset_refs = models.JSONField(default=list, blank=True)
    impact = models.ForeignKey(ImpactLevel, on_delete=models.PROTECT, related_name="+")
    urgency = models.ForeignKey(UrgencyLevel, on_delete=models.PROTECT, related_name="+")
    # Computed from the matrix by the services, never typed.
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="incidents")
    matrix_version = models.PositiveIntegerField()
    priority_justification = models.TextField(blank=True)
    details_confirmed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LOGGED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_incidents"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("reprioritise_incident", "Can reprioritise an incident"),
            ("view_board", "Can watch the dispatch board"),
            ("cancel_major_incident", "Can cancel a priority 1 or 2 incident"),
            # Personal data (incidents/contact.py): the caller's name, phone and email. The
            # first is scoped to incidents the user handles or that are open; the second is
            # every incident (supervisors, the data protection officer).
            (
                "view_caller_contact",
                "Can see caller contact details of incidents they handle or that are open",
            ),
            ("view_all_caller_contact", "Can see caller contact details of every incident"),
        ]
        indexes = [
            # The board and the open list: open incidents by priority, then age.
            models.Index(
                fields=["priority", "created_at"],
                name="open_by_priority",
                condition=~Q(status__in=["closed", "cancelled"]),
            ),
            # Likely duplicates: same category, recent.
            models.Index(fields=["category", "created_at"], name="by_category_recent"),
            models.Index(fields=["status", "created_at"], name="by_status_recent"),
        ]

    def __str__(self):
        return f"{self.reference} {self.summary}"

    @property
    def reference(self) -> str:
        # Ids come from a sequence (AUTOINCREMENT on SQLite), so a reference is never reused.
        return reference_for(self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def takes_resources(self) -> bool:
        """Resources are sent only to an incident still being worked (not resolved)."""
        return self.is_open and self.status != Status.RESOLVED

    @property
    def details_confirmed(self) -> bool:
        return self.details_confirmed_at is not None

    def allowed_statuses(self) -> list[str]:
        return [s for s in Status if s in TRANSITIONS[self.status]]

    def status_menu(self) -> list[str]:
        """The moves the generic status change makes; resolve, close, reopen have their own."""
        return [s for s in self.allowed_statuses() if s not in CARE_STATUSES]

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def can_resolve(self) -> bool:
        return self.can_move_to(Status.RESOLVED)

    @property
    def can_close(self) -> bool:
        return self.can_move_to(Status.CLOSED)

    @property
    def can_reopen(self) -> bool:
        return self.can_move_to(Status.REOPENED)


REFERENCE_PREFIX = "INC-"


def reference_for(pk: int | None) -> str:
    return f"{REFERENCE_PREFIX}{pk:06d}" if pk else ""


def pk_from_reference(text: str) -> int | None:
    """INC-000123, inc-123 or 123 → 123; anything else → None."""
    text = text.strip().upper().removeprefix(REFERENCE_PREFIX)
    return int(text) if text.isdigit() and len(text) < 12 else None


class EventKind(models.TextChoices):
    LOGGED = "logged", "Logged"
    UPDATED = "updated", "Details updated"
    DETAILS_CONFIRMED = "details_confirmed", "Details read back to caller"
    STATUS_CHANGED = "status_changed", "Status changed"
    REPRIORITISED = "reprioritised", "Reprioritised"
    LINKED = "linked", "Linked to parent"
    UNLINKED = "unlinked", "Unlinked from parent"
    CHILD_LINKED = "child_linked", "Call linked"
    CHILD_UNLINKED = "child_unlinked", "Call unlinked"
    # Customer care, resolution and closure (customer_care/services.py).
    CUSTOMER_UPDATED = "customer_updated", "Customer updated"
    CUSTOMER_UPDATE_QUEUED = "customer_update_queued", "Customer update queued"
    CUSTOMER_UPDATE_FAILED = "customer_update_failed", "Customer update failed to send"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CLOSED_WITHOUT_CONFIRMATION = "closed_without_confirmation", "Closed without confirmation"
    REOPENED = "reopened", "Reopened"
    SATISFACTION_RECORDED = "satisfaction_recorded", "Satisfaction recorded"
    SATISFACTION_LINK_SENT = "satisfaction_link_sent", "Satisfaction survey sent"
    # Resources and dispatch (issue 4)
    RESOURCE_DISPATCHED = "resource_dispatched", "Resource dispatched"
    DISPATCH_PROGRESS = "dispatch_progress", "Resource progress"
    RESOURCE_RECALLED = "resource_recalled", "Resource recalled"
    BRIEFING_CONFIRMED = "briefing_confirmed", "Briefing confirmed by voice"
    MESSAGE_DELIVERY = "message_delivery", "Message delivery"
    BROADCAST_SENT = "broadcast_sent", "Broadcast to group"
    # Escalation engine (issue 5)
    ESCALATION_FIRED = "escalation_fired", "Escalation"
    ESCALATION_ACKNOWLEDGED = "escalation_acknowledged", "Escalation acknowledged"
    ESCALATED_MANUALLY = "escalated_manually", "Escalated by hand"
    POLICY_REAPPLIED = "policy_reapplied", "Escalation policy re-applied"
    INCIDENT_ACKNOWLEDGED = "incident_acknowledged", "Acknowledged (response met)"
    ALERTS_CLOSED = "alerts_closed", "Escalation alerts closed"
    # The response clock met by a real response (incidents.services.record_response):
    # data {how: lifecycle.ResponseHow, dispatch_id?, message_id?}.
    RESPONSE_MET = "response_met", "Response target met"
    # Personal data (privacy/services.py): the one exception to the append-only timeline.
    CALLER_REDACTED = "caller_redacted", "Caller details erased"


class IncidentEvent(models.Model):
    """The timeline: one row per change, never edited or deleted."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["incident", "id"], name="timeline_by_incident")]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The timeline is append-only: events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The timeline is append-only: events cannot be deleted.")


class SlaTimer(models.Model):
    """An SLA clock: started at received_at, paused on hold, met by a real response."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    target = models.DurationField()
    started_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_total = models.DurationField(default=timedelta)
    # started_at + target + paused_total, stored so due work is one index range scan.
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    # A linked call's response and resolution follow its parent's: while set, this clock is
    # not its own to run (no escalations of its own). Its due_at is kept, so unlinking
    # resumes it as if it had run all along (incidents/clock.py, stop_following_parent).
    follows_parent_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Moved from the escalation app; the table keeps its name.
        db_table = "escalation_slatimer"
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind"], name="one_timer_per_kind")
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="running_timers_by_due",
                condition=Q(met_at__isnull=True, paused_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def running(self) -> bool:
        return self.met_at is None and self.paused_at is None and self.follows_parent_since is None

    def recompute_due(self) -> None:
        self.due_at = self.started_at + self.target + self.paused_total


class ContactVia(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    EXPORT = "export", "Subject-access export"


class ContactView(models.Model):
    """Who saw which caller contact details of which incident, when and through what.

    Written by incidents.contact.log_views: one row per incident shown, all the rows of one
    request in one INSERT. It names the fields, never their values, so erasing a caller
    leaves the log intact and free of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_views"
    )
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="contact_views")
    fields = models.JSONField(default=list, help_text="The caller fields shown.")
    via = models.CharField(max_length=10, choices=ContactVia.choices)
    path = models.CharField(max_length=300, blank=True, help_text="The page or API path.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [
            ("export_personal_data", "Can export everything held about a caller"),
            ("erase_personal_data", "Can erase (anonymise) a caller's personal data"),
        ]
        indexes = [
            models.Index(fields=["incident", "at"], name="contact_views_by_incident"),
            models.Index(fields=["user", "at"], name="contact_views_by_user"),
        ]

    def __str__(self):
        return f"{self.user} saw {', '.join(self.fields)} of {self.incident_id} ({self.via})"
