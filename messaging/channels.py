"""The one channel enum: every way IncidentDesk reaches a person or a system."""

from django.db import models


class Channel(models.TextChoices):
    RADIO = "radio", "Radio"
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    IM = "im", "Instant message"
    EMAIL = "email", "Email"
    PAGER = "pager", "Pager"
    WEBHOOK = "webhook", "Webhook"


# Spoken channels: nothing is sent; the dispatcher's confirmation is the record.
VOICE_CHANNELS = frozenset({Channel.RADIO, Channel.PHONE})
