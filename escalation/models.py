"""The escalation engine: policies, running escalations, due work, escalation events."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from escalation.snapshot import PolicySnapshot, StepSnapshot
from incidents.models import TimerKind

# --- Escalation policies, running escalations, due work and escalation events (issue 5) ---


class Level(models.IntegerChoices):
    """The hierarchy of escalation: fixed, because the standard names these rungs."""

    AGENT = 0, "Agent"
    SUPERVISOR = 1, "Supervisor"
    DUTY_MANAGER = 2, "Duty manager"
    HEAD_OF_OPERATIONS = 3, "Head of operations"


class Trigger(models.TextChoices):
    RESPONSE_ELAPSED = "response_elapsed", "Response target % elapsed"
    RESOLUTION_ELAPSED = "resolution_elapsed", "Resolution target % elapsed"
    RESPONSE_BREACHED = "response_breached", "Response target breached"
    RESOLUTION_BREACHED = "resolution_breached", "Resolution target breached"
    UPDATE_OVERDUE = "update_overdue", "Customer update overdue"
    NO_DISPATCH = "no_dispatch", "No resource dispatched N minutes after logging"
    DISPATCH_UNACKNOWLEDGED = "dispatch_unacknowledged", "Dispatch not acknowledged after N min"
    P1_LOGGED = "p1_logged", "Priority 1 logged"
    REOPENED = "reopened", "Incident reopened"
    MANUAL = "manual", "Manual escalation"


# Triggers that fire on a timer: the timer they read and whether they take a percent or minutes.
TIMER_TRIGGERS: dict[str, str] = {
    Trigger.RESPONSE_ELAPSED: TimerKind.RESPONSE,
    Trigger.RESOLUTION_ELAPSED: TimerKind.RESOLUTION,
    Trigger.RESPONSE_BREACHED: TimerKind.RESPONSE,
    Trigger.RESOLUTION_BREACHED: TimerKind.RESOLUTION,
    Trigger.UPDATE_OVERDUE: TimerKind.CUSTOMER_UPDATE,
    # "No available resource": N minutes after the contact with the response still owed and
    # nobody sent (an incident someone was sent to has an acknowledgement clock: see
    # services.clock_of).
    Trigger.NO_DISPATCH: TimerKind.RESPONSE,
    # N minutes after the oldest active dispatch its resource has not answered was made.
    Trigger.DISPATCH_UNACKNOWLEDGED: TimerKind.ACKNOWLEDGEMENT,
}
PERCENT_TRIGGERS = frozenset({Trigger.RESPONSE_ELAPSED, Trigger.RESOLUTION_ELAPSED})
MINUTES_TRIGGERS = frozenset({Trigger.NO_DISPATCH, Trigger.DISPATCH_UNACKNOWLEDGED})
EVENT_TRIGGERS = frozenset({Trigger.P1_LOGGED, Trigger.REOPENED, Trigger.MANUAL})
# The step id of manual escalations: policy steps are database rows (ids from 1), so 0 is
# free, and a manual alert's repeats are unique per (incident, step, repetition) like any.
MANUAL_STEP_ID = 0


class Action(models.TextChoices):
    NOTIFY = "notify", "Notify"
    RAISE_LEVEL = "raise_level", "Raise the escalation level"
    RAISE_PRIORITY = "raise_priority", "Raise the priority one step"
    SPECIALIST = "specialist", "Hand to a specialist team"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app only (timeline and board)"
    EMAIL = "email", "Email (and in-app)"


class EscalationPolicy(models.Model):
    """Which incidents it covers and the ordered steps they run. Edited by admins."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    rank = models.PositiveSmallIntegerField(
        default=10, help_text="When several policies match, the lowest rank wins."
    )
    priorities = models.ManyToManyField(
        "incidents.Priority", blank=True, help_text="Empty: every priority."
    )
    categories = models.ManyToManyField(
        "incidents.Category", blank=True, help_text="Empty: every category."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank", "name"]
        verbose_name_plural = "escalation policies"

    def __str__(self):
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    trigger = models.CharField(max_length=24, choices=Trigger.choices)
    percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For “% elapsed” triggers: 50 means half the target."
    )
    minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For “no resource dispatched”: minutes after the contact; for "
        "“dispatch not acknowledged”: minutes after the dispatch.",
    )
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.NOTIFY)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.IN_APP)
    notify_group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A role or group to notify.",
    )
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A person to notify (e.g. tonight's on-call duty manager).",
    )
    team = models.CharField(
        max_length=100, blank=True, help_text="For “hand to a specialist team”: the team."
    )
    requires_ack = models.BooleanField(default=False)
    ack_timeout = models.DurationField(
        default=timedelta(minutes=5), help_text="Repeat if nobody acknowledges within this."
    )
    max_repeats = models.PositiveSmallIntegerField(
        default=2, help_text="Repeats before moving up one level."
    )

    class Meta:
        ordering = ["policy", "order", "pk"]

    def __str__(self):
        return f"{self.order}. {self.name}"

    def clean(self):
        errors = {}
        if self.trigger in PERCENT_TRIGGERS and not self.percent:
            errors["percent"] = "Say what share of the target (1–100 %) triggers this step."
        if self.trigger == Trigger.NO_DISPATCH and not self.minutes:
            errors["minutes"] = "Say after how many minutes without a dispatch."
        if self.trigger == Trigger.DISPATCH_UNACKNOWLEDGED and not self.minutes:
            errors["minutes"] = "Say after how many minutes without an acknowledgement."
        if self.action == Action.SPECIALIST and not self.team:
            errors["team"] = "Name the specialist team."
        if self.requires_ack and self.ack_timeout <= timedelta(0):
            errors["ack_timeout"] = "Give the time allowed to acknowledge."
        if errors:
            raise ValidationError(errors)

    def snapshot(self) -> StepSnapshot:
        """What a running escalation keeps of this step (see escalation/snapshot.py)."""
        return StepSnapshot(
            id=self.pk,
            order=self.order,
            name=self.name,
            trigger=self.trigger,
            percent=self.percent,
            minutes=self.minutes,
            action=self.action,
            channel=self.channel,
            notify_group=self.notify_group.name if self.notify_group else None,
            notify_user_id=self.notify_user_id,
            team=self.team,
            requires_ack=self.requires_ack,
            ack_timeout=self.ack_timeout,
            max_repeats=self.max_repeats,
        )


class Escalation(models.Model):
    """An incident's running escalation: its level and a snapshot of the policy it follows.

    The snapshot is taken when the incident enters the policy, so an admin editing the
    policy changes new escalations, not those in flight, until someone re-applies it.
    """

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="escalation"
    )
    policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField(default=dict, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.AGENT)
    team = models.CharField(max_length=100, blank=True)
    entered_at = models.DateTimeField()

    def __str__(self):
        return f"{self.get_level_display()} ({self.snapshot.get('policy_name') or 'no policy'})"

    @property
    def plan(self) -> PolicySnapshot:
        """The snapshot, typed: the engine reads steps only through this."""
        return PolicySnapshot.from_dict(self.snapshot)

    def steps(self) -> tuple[StepSnapshot, ...]:
        return self.plan.steps

    def step(self, step_id: int) -> StepSnapshot | None:
        return self.plan.step(step_id)


class EscalationDue(models.Model):
    """Due work: one row per pending step firing, claimed by the sweep.

    attempt 0 is the step's first firing; 1…max_repeats are repeats while nobody
    acknowledges; max_repeats + 1 moves the incident up one level.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="escalation_due"
    )
    step_id = models.PositiveIntegerField()
    repetition = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(db_index=True)
    # For a repeat: the firing it repeats, so several chains of one step (two manual
    # escalations to different targets) each repeat their own alert.
    repeat_of = models.ForeignKey(
        "EscalationEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "step_id", "repetition"], name="one_due_per_firing"
            )
        ]
        verbose_name_plural = "escalation due work"

    def __str__(self):
        return f"step {self.step_id} #{self.repetition} due {self.due_at:%H:%M:%S}"


class EscalationEvent(models.Model):
    """One firing of a step (or a manual escalation): exactly one row per firing."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="escalation_events"
    )
    # The snapshot step's id; MANUAL_STEP_ID for a manual escalation (null for those made
    # before manual escalations needed acknowledgement).
    step_id = models.PositiveIntegerField(null=True, blank=True)
    repetition = models.PositiveIntegerField(default=0)
    step_name = models.CharField(max_length=100)
    trigger = models.CharField(max_length=24, choices=Trigger.choices)
    action = models.CharField(max_length=20, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.IN_APP)
    recipients = models.JSONField(default=dict, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    due_at = models.DateTimeField(null=True, blank=True, help_text="When it was due to fire.")
    fired_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    requires_ack = models.BooleanField(default=False)
    # True until acknowledged, or until its own repeat replaces it on the list.
    awaiting_ack = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Closed without acknowledgement because the incident settled (resolved, closed,
    # cancelled) or was linked to a parent: why (that status, or "linked") and when.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=20, blank=True)
    # The notification emails this firing sent, one per person (messaging's outbox).
    messages = models.ManyToManyField("messaging.Message", blank=True, related_name="+")

    class Meta:
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "step_id", "repetition"], name="one_event_per_firing"
            )
        ]
        indexes = [
            models.Index(
                fields=["fired_at"], name="awaiting_ack_by_time", condition=Q(awaiting_ack=True)
            )
        ]
        permissions = [
            ("acknowledge_escalation", "Can acknowledge escalations"),
            ("escalate_incident", "Can escalate an incident by hand"),
            ("reapply_policy", "Can re-apply the current escalation policy"),
            ("acknowledge_incident", "Can acknowledge an incident (response met)"),
        ]

    def __str__(self):
        return f"{self.step_name} #{self.repetition} at {self.fired_at:%H:%M:%S}"
