"""SLA timers: one row per incident and kind, with the due time in an indexed column."""

from datetime import timedelta

from django.db import models
from django.db.models import Q


class TimerKind(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"
    CUSTOMER_UPDATE = "customer_update", "Customer update"


class SlaTimer(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="timers"
    )
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    target = models.DurationField()
    started_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_total = models.DurationField(default=timedelta)
    # started_at + target + paused_total, stored so due work is one index range scan.
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
        return self.met_at is None and self.paused_at is None

    def recompute_due(self) -> None:
        self.due_at = self.started_at + self.target + self.paused_total
