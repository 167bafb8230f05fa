"""Celery's queues keep escalation apart from delivery and housekeeping; beat is guarded: a
second beat stands by (and would be harmless if it sent), a dead one is noticed."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from escalation.models import EscalationDue, EscalationEvent, Trigger
from incidentdesk import health
from incidentdesk.beat import STANDBY_RECHECK_SECONDS, LockedScheduler, lock_key
from incidentdesk.celery import app
from incidents import demo
from incidents.models import ImpactLevel, Priority, UrgencyLevel
from tests.factories import escalation_policy, log

QUEUES = {"escalation", "delivery", "housekeeping"}


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_each_kind_of_work_goes_to_its_own_queue():
    assert queue_of("escalation.sweep") == "escalation"
    assert queue_of("incidentdesk.beat_heartbeat") == "escalation"
    assert queue_of("messaging.deliver") == "delivery"
    assert queue_of("messaging.sweep_outbox") == "housekeeping"
    assert queue_of("incidents.purge_expired_idempotency_keys") == "housekeeping"
    assert queue_of("customer_care.close_unconfirmed") == "housekeeping"


def test_every_task_and_every_beat_entry_lands_on_a_declared_queue():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    scheduled = [entry["task"] for entry in app.conf.beat_schedule.values()]

    assert {queue_of(name) for name in ours + scheduled} == QUEUES
    assert set(scheduled) <= set(ours)


def test_a_worker_started_without_queues_consumes_all_three():
    # dev.py run and the tests start one worker with no -Q
    assert {queue.name for queue in app.amqp.queues.values()} == QUEUES


@pytest.fixture
def celery_processes(tmp_path):
    """Start Celery processes on the test database; stop them all at the end."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings_test",
        "E2E_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "SLA_SWEEP_SECONDS": "0.5",
        "BEAT_HEARTBEAT_SECONDS": "1",
    }
    processes = []

    def start(*args: str) -> None:
        command = [sys.executable, "-m", "celery", "-A", "incidentdesk", *args]
        processes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        )

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=20)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_beats_and_two_escalation_workers_fire_each_step_once(celery_processes, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED concurrency needs PostgreSQL")
    # given 30 P1 incidents whose response deadline passes in 3 s
    demo.install_reference_data()
    Priority.objects.filter(code="P1").update(response_target=timedelta(seconds=3))
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED})
    for n in range(30):
        log(
            impact=ImpactLevel.objects.get(rank=1),
            urgency=UrgencyLevel.objects.get(rank=1),
            summary=f"Gas smell {n}",
        )
    with health.redis_client() as client:
        client.delete(health._heartbeat_key())

    # when two beats (a botched deploy) each send every tick, and two workers take only
    # the escalation queue, as docker-compose's worker-escalation does scaled to two
    for n in (1, 2):
        celery_processes("beat", "-s", str(tmp_path / f"beat-{n}"), "--loglevel", "WARNING")
        celery_processes("worker", "-Q", "escalation", "--pool", "solo", "-n", f"esc{n}@%h")
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and EscalationDue.objects.exists():
        time.sleep(0.5)
    time.sleep(2)  # the doubled ticks keep coming: any duplicate would show now

    # then every step fired exactly once, and the heartbeat went through the same queue
    assert EscalationEvent.objects.count() == 30
    duplicates = (
        EscalationEvent.objects.values("incident", "step_id", "repetition")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert health.beat_status()["ok"] is True


@pytest.fixture
def beats(tmp_path):
    with health.redis_client() as client:
        client.delete(lock_key())
    made = [
        LockedScheduler(app=app, schedule_filename=str(tmp_path / f"s{n}"), lazy=True)
        for n in (1, 2)
    ]
    yield made
    with health.redis_client() as client:
        client.delete(lock_key())


def test_only_the_beat_holding_the_lock_sends_and_a_standby_takes_over(beats):
    first, second = beats

    assert first.hold_lock() is True
    assert second.hold_lock() is False
    assert first.hold_lock() is True  # renewed, still its own
    assert second.tick() == STANDBY_RECHECK_SECONDS  # a standby sends nothing

    # when the holder dies, its lock expires
    with health.redis_client() as client:
        client.delete(lock_key())

    assert second.hold_lock() is True
    assert first.hold_lock() is False


def test_a_beat_that_stops_cleanly_hands_the_lock_over_at_once(beats):
    first, second = beats
    assert first.hold_lock() is True

    first.close()

    assert second.hold_lock() is True
