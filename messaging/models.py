"""The outbox: every message IncidentDesk sends, and every attempt to send it.

A message is written in the caller's transaction (messaging.services.enqueue), so it exists
exactly when the change that caused it committed. The database, not the broker, is the
queue of record: a Celery task is only a nudge, and the sweep hands out again any message
whose delivery is due and has not started. The apps above point to their messages
(a dispatch to its briefing, a customer update to its email); a message knows nothing of
them beyond its kind and its incident.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from messaging.channels import Channel


class MessageKind(models.TextChoices):
    BRIEFING = "briefing", "Dispatch briefing"
    BROADCAST = "broadcast", "Broadcast"
    CUSTOMER_UPDATE = "customer_update", "Customer update"
    SATISFACTION_LINK = "satisfaction_link", "Satisfaction survey link"
    ESCALATION = "escalation", "Escalation notice"


class DeliveryStatus(models.TextChoices):
    """Every state has a way out:

    queued → sending (a worker claims it; the task or, if that never ran, the sweep)
    sending → sent | retrying | failed (the worker records the outcome), or, if the worker
              died, retrying/failed once the lease runs out (an attempt of unknown outcome)
    retrying → sending (the sweep hands it out when next_attempt_at is reached)
    awaiting_confirmation → confirmed (the dispatcher spoke the radio or phone briefing)
    sent, failed, confirmed: final.
    """

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting voice confirmation"
    CONFIRMED = "confirmed", "Confirmed by dispatcher"


# States a worker may claim: the sweep looks for these once next_attempt_at is reached.
CLAIMABLE = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)
FINAL = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CONFIRMED})


class Message(models.Model):
    """One outbound message to one address, with what happened to it."""

    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_messages",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The address used, copied so the record stays true if the endpoint changes later.
    address = models.CharField(max_length=500, blank=True)
    # Who it is for, as people read it: a call sign, a caller's name, a username.
    recipient = models.CharField(max_length=200, blank=True)
    # A webhook's signing key, copied from the endpoint with the address (never shown).
    signing_secret = models.CharField(max_length=128, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=24, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # queued/retrying: when it may be sent; sending: when the worker's lease runs out.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a worker was last asked to send it (the commit's task or the sweep); the sweep
    # asks again only after MESSAGE_HANDOUT_SECONDS, so a queue backlog is not flooded.
    handed_out_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="outbox_by_incident"),
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(status__in=["queued", "retrying", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient or self.address} ({self.status})"

    @property
    def error(self) -> str:
        """The last attempt's error (the name the dispatch API and pages always used)."""
        return self.last_error

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


class DeliveryAttempt(models.Model):
    """One try at sending a message. ok is None while it runs, and stays None (with the
    error saying so) when the worker was lost and nobody knows whether it left."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="one_row_per_attempt")
        ]

    def __str__(self):
        outcome = {True: "ok", False: "failed", None: "unknown"}[self.ok]
        return f"attempt {self.number}: {outcome}"
