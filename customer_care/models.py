"""Customer care: updates given to callers, resolution, closure and satisfaction.

Moved here from the incidents app; each keeps its table (Meta.db_table). Each is a
history: an incident resolved, reopened and resolved again keeps both resolutions.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class UpdateChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    CHAT = "chat", "Web chat"
    IN_PERSON = "in_person", "In person"


class UpdateDelivery(models.TextChoices):
    """Whether the caller has been given the update. The sending itself (attempts, retries,
    errors) is the update's outbound message in messaging; this is what care makes of it."""

    # Said by the agent (on a call, in person): given when recorded.
    RECORDED = "recorded", "Given (recorded by the agent)"
    # Sent through a channel by a worker: given once delivered.
    QUEUED = "queued", "Queued for sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed to send"


class CustomerUpdate(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="customer_updates"
    )
    channel = models.CharField(max_length=12, choices=UpdateChannel.choices)
    message = models.TextField(help_text="What the customer was told.")
    given_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delivery_status = models.CharField(max_length=10, choices=UpdateDelivery.choices)
    recipient = models.CharField(max_length=254, blank=True, help_text="Address it was sent to.")
    # The email or SMS that carries a sent update (none for a recorded one).
    outbound = models.OneToOneField(
        "messaging.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when one action on a parent updated this linked caller too.
    via_parent = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "incidents_customerupdate"
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["incident", "-given_at"], name="updates_by_incident")]

    def __str__(self):
        return f"{self.get_channel_display()} update at {self.given_at:%Y-%m-%d %H:%M}"

    # The delivery as the API has always shown it, read from the outbound message.
    @property
    def attempts(self) -> int:
        return self.outbound.attempts if self.outbound else 0

    @property
    def delivered_at(self):
        return self.outbound.sent_at if self.outbound else None

    @property
    def error(self) -> str:
        return self.outbound.last_error[:500] if self.outbound else ""


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround in place"
    NO_FAULT_FOUND = "no_fault_found", "No fault found"
    THIRD_PARTY = "third_party", "Referred to a third party"
    DUPLICATE = "duplicate", "Duplicate"


class Resolution(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="resolutions"
    )
    code = models.CharField(max_length=20, choices=ResolutionCode.choices)
    notes = models.TextField()
    resolved_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "incidents_resolution"
        ordering = ["-resolved_at", "-id"]

    def __str__(self):
        return f"{self.get_code_display()} at {self.resolved_at:%Y-%m-%d %H:%M}"


class ClosureMethod(models.TextChoices):
    PHONE = "phone", "Confirmed by phone"
    EMAIL = "email", "Confirmed by email"
    SMS = "sms", "Confirmed by SMS"
    IN_PERSON = "in_person", "Confirmed in person"
    # Not a confirmation: recorded so nobody mistakes silence for agreement.
    NO_ANSWER = "no_answer", "Closed without confirmation (no answer)"
    WITH_PARENT = "with_parent", "Closed with its parent incident"


CONFIRMED_METHODS = [
    ClosureMethod.PHONE,
    ClosureMethod.EMAIL,
    ClosureMethod.SMS,
    ClosureMethod.IN_PERSON,
]


class Closure(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="closures"
    )
    method = models.CharField(max_length=12, choices=ClosureMethod.choices)
    confirmed_by = models.CharField(
        max_length=120, blank=True, help_text="Who confirmed the fix for the customer."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(default=timezone.now)
    # Null when the auto-close task closed it.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "incidents_closure"
        ordering = ["-closed_at", "-id"]

    def __str__(self):
        return f"{self.get_method_display()} at {self.closed_at:%Y-%m-%d %H:%M}"

    @property
    def confirmed(self) -> bool:
        return self.method in CONFIRMED_METHODS


class SatisfactionSource(models.TextChoices):
    AGENT = "agent", "Given on a call, recorded by the agent"
    LINK = "link", "Given by the customer through the emailed link"


class Satisfaction(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="satisfaction"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    source = models.CharField(max_length=8, choices=SatisfactionSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "incidents_satisfaction"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="satisfaction_score_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.score}/5 at {self.at:%Y-%m-%d %H:%M}"


class SatisfactionLink(models.Model):
    """One emailed survey link. The token is signed (django.core.signing) and names this row;
    used_at makes it single-use, expires_at bounds it even if the signing key is old, and
    revoked_at ends it when the incident is reopened: one open survey per resolution."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="satisfaction_links"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_to = models.EmailField(max_length=254)
    sent_at = models.DateTimeField(null=True, blank=True)
    outbound = models.OneToOneField(
        "messaging.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "incidents_satisfactionlink"
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="one_open_survey_link_per_incident",
            )
        ]

    def __str__(self):
        return f"Survey link for incident {self.incident_id}"
