"""Helpers for outbox tests: drive a message to its final state, or wait for a worker."""

import time

from django.utils import timezone

from messaging import services
from messaging.models import CLAIMABLE, FINAL, Message


def drain(message_id: int) -> Message:
    """Deliver a message, and each retry as soon as it is due, until it is final (what the
    worker and the sweep do over time, without the waits)."""
    while True:
        message = Message.objects.get(pk=message_id)
        if message.status not in CLAIMABLE:
            return message
        services.deliver(message_id, now=max(timezone.now(), message.next_attempt_at))


def wait_for(message_id: int, statuses=FINAL, timeout: float = 15, sweep: bool = True):
    """Wait for a real worker to bring the message to one of `statuses`. With sweep, the test
    plays Celery beat: it runs the outbox sweep every 0.2 s, which hands due retries out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = Message.objects.get(pk=message_id)
        if message.status in statuses:
            return message
        if sweep:
            services.sweep()
        time.sleep(0.2)
    raise AssertionError(f"message stayed {message.status}")
