"""Customer-care tasks: the auto-close task on a real Celery worker through the real Redis
broker. (Sending updates and survey links is the outbox's: tests/messaging/.)"""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from customer_care import tasks
from customer_care.models import Resolution
from incidentdesk.celery import app
from incidents.models import EventKind, Incident
from tests.factories import log, resolve


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_the_worker_closes_incidents_left_unconfirmed_past_the_wait(reference_data):
    # given one incident resolved four days ago and one resolved today
    stale, fresh = resolve(log()), resolve(log())
    Resolution.objects.filter(incident=stale).update(resolved_at=timezone.now() - timedelta(days=4))

    # when beat's task goes through the broker to a worker
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.close_unconfirmed.delay()
        closed = wait_for(lambda: Incident.objects.get(pk=stale.pk).status == "closed")

    # then only the stale one is closed, recorded as closed without confirmation
    assert closed
    assert Incident.objects.get(pk=fresh.pk).status == "resolved"
    assert stale.events.last().kind == EventKind.CLOSED_WITHOUT_CONFIRMATION
