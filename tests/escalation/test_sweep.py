"""Exactly once: concurrent sweeps, re-runs and a worker killed between claim and commit."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.models import Count

from escalation import services
from escalation.models import EscalationDue, EscalationEvent, Trigger
from incidents import demo
from tests.factories import escalation_policy, log

pytestmark = pytest.mark.django_db(transaction=True)

INCIDENTS = 40


class WorkerKilled(BaseException):
    """Like a SIGKILL mid-task: nothing after it runs, no except Exception catches it."""


def due_incidents(count: int, clock) -> None:
    """Incidents logged an hour ago (on the controlled clock) with two overdue steps each."""
    demo.install_reference_data()
    escalation_policy(
        {"trigger": Trigger.RESPONSE_ELAPSED, "percent": 50},
        {"trigger": Trigger.RESPONSE_BREACHED},
    )
    for n in range(count):
        log(summary=f"Leak {n}")
    clock.advance(hours=1)


def sweep_in_thread(barrier: threading.Barrier, results: list) -> None:
    try:
        barrier.wait()
        results.append(services.sweep())
    finally:
        connections.close_all()


def test_concurrent_sweeps_fire_each_step_exactly_once(clock, caplog):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED concurrency needs PostgreSQL")
    # given 40 incidents with 2 overdue steps each
    due_incidents(INCIDENTS, clock)
    barrier = threading.Barrier(4)
    results: list[int] = []

    # when four sweeps run at the same moment, then once more
    threads = [threading.Thread(target=sweep_in_thread, args=(barrier, results)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rerun = services.sweep()

    # then every step fired once, shared between the sweeps, and nothing is left
    assert sum(results) == INCIDENTS * 2
    assert rerun == 0
    assert EscalationEvent.objects.count() == INCIDENTS * 2
    duplicates = (
        EscalationEvent.objects.values("incident", "step_id", "repetition")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert not EscalationDue.objects.exists()
    # no sweep waited on another into a deadlock or an error
    assert "failed" not in caplog.text


def test_a_sweep_killed_after_claiming_loses_nothing_and_fires_once(clock):
    # given one overdue step
    due_incidents(1, clock)
    EscalationDue.objects.filter(pk__gt=EscalationDue.objects.order_by("pk").first().pk).delete()
    real_record = services._record_firing

    # when the worker dies after claiming and writing, before the commit
    with (
        mock.patch.object(services, "_record_firing", side_effect=WorkerKilled),
        pytest.raises(WorkerKilled),
    ):
        services.sweep()

    # then the claim and the event were rolled back with it
    assert EscalationEvent.objects.count() == 0
    assert EscalationDue.objects.count() == 1

    # and the next sweep fires the step once
    assert services._record_firing is real_record
    assert services.sweep() == 1
    assert services.sweep() == 0
    assert EscalationEvent.objects.count() == 1


def test_a_failing_step_is_logged_and_does_not_block_the_others(caplog, clock):
    due_incidents(2, clock)
    calls = {"n": 0}
    real_fire = services._fire_due

    def fail_first(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bad snapshot")
        return real_fire(**kwargs)

    with mock.patch.object(services, "_fire_due", side_effect=fail_first):
        fired = services.sweep()

    assert fired == 3
    assert EscalationDue.objects.count() == 1
    assert "stays for the next sweep" in caplog.text
    assert services.sweep() == 1


def test_a_duplicate_delivery_of_a_firing_is_a_no_op(clock):
    due_incidents(1, clock)
    due = EscalationDue.objects.order_by("due_at").first()
    services.sweep()

    # the same due work again, as a redelivered message would bring it back
    EscalationDue.objects.create(
        incident=due.incident, step_id=due.step_id, repetition=0, due_at=due.due_at
    )
    services.sweep()

    assert EscalationEvent.objects.filter(step_id=due.step_id).count() == 1
