"""Resources, their contact endpoints and verification; channel rules; dispatches; broadcasts.

The messages a dispatch or broadcast sends live in the outbox (messaging.Message); a
dispatch points to its briefing, a broadcast to one message per member.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import phones
from messaging.channels import Channel


class ResourceKind(models.TextChoices):
    PERSON = "person", "Person"
    TEAM = "team", "Team"
    VEHICLE = "vehicle", "Vehicle"
    EXTERNAL = "external", "External service"


class ResourceStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    UNAVAILABLE = "unavailable", "Unavailable"
    OFF_DUTY = "off_duty", "Off duty"


# Statuses a resource holds while a dispatch is active; only services set them.
BUSY_STATUSES = frozenset(
    {ResourceStatus.DISPATCHED, ResourceStatus.EN_ROUTE, ResourceStatus.ON_SCENE}
)


class ResourceGroup(models.Model):
    """A set of resources messaged together, e.g. "Facilities North"."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Resource(models.Model):
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    call_sign = models.CharField(max_length=30, unique=True)
    # Skill by category: the incident categories this resource is qualified to handle.
    skills = models.ManyToManyField(
        "incidents.Category", blank=True, related_name="skilled_resources"
    )
    groups = models.ManyToManyField(ResourceGroup, blank=True, related_name="resources")
    status = models.CharField(
        max_length=12, choices=ResourceStatus.choices, default=ResourceStatus.AVAILABLE
    )
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    base = models.CharField(max_length=120, blank=True, help_text="Where it returns to.")
    # Identity and authority checked by a person, valid until a time: missing or expired
    # means not deployable.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_until = models.DateTimeField(null=True, blank=True)
    verification_note = models.CharField(
        max_length=200, blank=True, help_text="What was checked, e.g. ID badge 4411, SIA licence."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["call_sign"]
        indexes = [models.Index(fields=["status"], name="resource_by_status")]

    def __str__(self):
        return f"{self.call_sign} {self.name}"

    def is_verified(self, at=None) -> bool:
        return self.verified_until is not None and self.verified_until > (at or timezone.now())

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def clean(self):
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError("Give both latitude and longitude, or neither.")


class ContactEndpoint(models.Model):
    """How to reach a resource over one channel."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="endpoints")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(
        max_length=500,
        help_text="Radio call sign or talk group, phone or SMS number, email, IM handle, "
        "pager id, or the webhook URL.",
    )
    secret = models.CharField(
        max_length=128, blank=True, help_text="Webhook only: the key its signatures are made with."
    )

    class Meta:
        ordering = ["resource", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "channel"], name="one_endpoint_per_channel")
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.address}"

    def clean(self):
        if self.channel in (Channel.PHONE, Channel.SMS):
            try:
                self.address = phones.normalise(self.address)
            except phones.PhoneInvalid as problem:
                raise ValidationError({"address": str(problem)}) from None
        if self.channel == Channel.WEBHOOK:
            if not self.address.startswith(("https://", "http://")):
                raise ValidationError({"address": "A webhook address is an http(s) URL."})
            if len(self.secret) < 16:
                raise ValidationError({"secret": "Use a secret of at least 16 characters."})


class ChannelRule(models.Model):
    """The channels to brief on, in order, for a category (and optionally one priority)."""

    category = models.ForeignKey(
        "incidents.Category", on_delete=models.CASCADE, related_name="channel_rules"
    )
    priority = models.ForeignKey(
        "incidents.Priority",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="channel_rules",
        help_text="Empty: any priority without a rule of its own.",
    )
    channels = models.JSONField(default=list, help_text="Channel codes, first choice first.")
    # UK GDPR data minimisation: a contractor gets the caller's name and number only where
    # the organisation decided they need them (e.g. to be let in), per category/priority.
    share_caller_contact = models.BooleanField(
        default=False,
        help_text="Put the caller's name and phone/email in briefings for this rule.",
    )

    class Meta:
        ordering = ["category", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"], name="one_rule_per_category_priority"
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(priority__isnull=True),
                name="one_default_rule_per_category",
            ),
        ]

    def __str__(self):
        names = " → ".join(Channel(c).label for c in self.channels if c in Channel.values)
        return f"{self.category} {self.priority.code if self.priority else 'any'}: {names}"

    def clean(self):
        unknown = [c for c in self.channels if c not in Channel.values]
        if not self.channels or unknown or len(set(self.channels)) != len(self.channels):
            raise ValidationError({"channels": "List each channel once, from the known channels."})


class DispatchStatus(models.TextChoices):
    DISPATCHED = "dispatched", "Dispatched"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    CLEARED = "cleared", "Cleared"
    RECALLED = "recalled", "Recalled"


ACTIVE_DISPATCH = frozenset(
    {
        DispatchStatus.DISPATCHED,
        DispatchStatus.ACKNOWLEDGED,
        DispatchStatus.EN_ROUTE,
        DispatchStatus.ON_SCENE,
    }
)
# Progress steps each dispatch status may move to (a resource may skip ahead, never back).
STEPS: dict[str, frozenset[str]] = {
    DispatchStatus.DISPATCHED: frozenset(
        {
            DispatchStatus.ACKNOWLEDGED,
            DispatchStatus.EN_ROUTE,
            DispatchStatus.ON_SCENE,
            DispatchStatus.RECALLED,
        }
    ),
    DispatchStatus.ACKNOWLEDGED: frozenset(
        {DispatchStatus.EN_ROUTE, DispatchStatus.ON_SCENE, DispatchStatus.RECALLED}
    ),
    DispatchStatus.EN_ROUTE: frozenset({DispatchStatus.ON_SCENE, DispatchStatus.RECALLED}),
    DispatchStatus.ON_SCENE: frozenset({DispatchStatus.CLEARED, DispatchStatus.RECALLED}),
    DispatchStatus.CLEARED: frozenset(),
    DispatchStatus.RECALLED: frozenset(),
}
# What each step does to the resource, and which time it stamps on the dispatch.
STEP_EFFECTS: dict[str, tuple[str, str]] = {
    DispatchStatus.ACKNOWLEDGED: (ResourceStatus.DISPATCHED, "acknowledged_at"),
    DispatchStatus.EN_ROUTE: (ResourceStatus.EN_ROUTE, "en_route_at"),
    DispatchStatus.ON_SCENE: (ResourceStatus.ON_SCENE, "on_scene_at"),
    DispatchStatus.CLEARED: (ResourceStatus.AVAILABLE, "cleared_at"),
    DispatchStatus.RECALLED: (ResourceStatus.AVAILABLE, "recalled_at"),
}


class Dispatch(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="dispatches"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="dispatches")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    briefing = models.TextField()
    status = models.CharField(
        max_length=12, choices=DispatchStatus.choices, default=DispatchStatus.DISPATCHED
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(
        blank=True, help_text="Why a resource that was not deployable was sent anyway."
    )
    dispatched_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_reason = models.TextField(blank=True)
    # The briefing (one message; the API lists it as "messages", as it always did).
    messages = models.ManyToManyField("messaging.Message", blank=True, related_name="+")

    class Meta:
        ordering = ["-dispatched_at"]
        verbose_name_plural = "dispatches"
        permissions = [
            ("override_dispatch", "Can dispatch a resource that is not deployable, with a reason"),
            ("send_broadcast", "Can broadcast a message to a resource group"),
        ]
        constraints = [
            # The backstop for two dispatchers at once: a resource has one active dispatch.
            models.UniqueConstraint(
                fields=["resource"],
                condition=Q(status__in=["dispatched", "acknowledged", "en_route", "on_scene"]),
                name="one_active_dispatch_per_resource",
            )
        ]
        indexes = [models.Index(fields=["incident", "status"], name="dispatch_by_incident")]

    def __str__(self):
        return f"{self.resource.call_sign} → {self.incident.reference}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_DISPATCH

    def next_steps(self) -> list[str]:
        return [s for s in DispatchStatus if s in STEPS[self.status]]


class Broadcast(models.Model):
    """One message to every member of a resource group, recorded against an incident."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="broadcasts"
    )
    group = models.ForeignKey(ResourceGroup, on_delete=models.PROTECT, related_name="broadcasts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    body = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    # One message per member of the group.
    messages = models.ManyToManyField("messaging.Message", blank=True, related_name="+")

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.group} ({self.get_channel_display()}) {self.sent_at:%Y-%m-%d %H:%M}"
