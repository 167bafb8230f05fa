"""Tasks run on a real Celery worker, through the real Redis broker."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from core.models import IdempotencyKey
from core.tasks import purge_expired_idempotency_keys
from incidentdesk.celery import app
from tests.factories import agent


@pytest.mark.django_db(transaction=True)
def test_the_worker_purges_expired_idempotency_keys():
    # given a retry key that expired yesterday
    IdempotencyKey.objects.create(
        user=agent(),
        key="old",
        method="POST",
        path="/api/incidents/",
        fingerprint="f",
        created_at=timezone.now() - timedelta(days=2),
    )

    # when beat's task goes through the broker to a worker
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        purge_expired_idempotency_keys.delay()
        deadline = time.monotonic() + 10
        while IdempotencyKey.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    # then
    assert not IdempotencyKey.objects.exists()
