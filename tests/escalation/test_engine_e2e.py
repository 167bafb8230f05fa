"""End to end: a real Celery worker and beat (a subprocess) on Redis and the test database,
the board's WebSocket on the real Redis channel layer, escalations fired on time."""

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection

from board.consumers import BoardConsumer
from escalation import services
from escalation.models import Action, Escalation, Level, Trigger
from incidents import demo
from incidents.models import ImpactLevel, Priority, UrgencyLevel
from tests.factories import escalation_policy, log, supervisor

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SWEEP_SECONDS = 1
RESPONSE_TARGET = timedelta(seconds=3)
ACK_TIMEOUT = timedelta(seconds=2)


@pytest.fixture
def worker_and_beat(tmp_path):
    """`celery worker -B --pool solo`, as the one-command run starts it, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings_test",
        "E2E_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "SLA_SWEEP_SECONDS": str(SWEEP_SECONDS),
    }
    command = [sys.executable, "-m", "celery", "-A", "incidentdesk", "worker", "-B"]
    command += ["--pool", "solo", "-s", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(timeout=30):
            raise RuntimeError("The Celery worker did not start:\n" + "".join(lines))
        yield lines
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest_asyncio.fixture
async def board():
    layer = get_channel_layer()
    await layer.flush()
    user = await sync_to_async(supervisor)()
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    yield communicator, user
    await communicator.disconnect()
    await layer.flush()
    await layer.close_pools()


def setup_policy():
    demo.install_reference_data()
    Priority.objects.filter(code="P1").update(response_target=RESPONSE_TARGET)
    escalation_policy(
        {
            "trigger": Trigger.RESPONSE_BREACHED,
            "name": "Response breached",
            "requires_ack": True,
            "ack_timeout": ACK_TIMEOUT,
            "max_repeats": 1,
        }
    )


def log_p1(summary: str):
    return log(
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        summary=summary,
    )


async def wait_for(communicator, match, timeout: float) -> dict:
    """The next board event `match` accepts; others (logged, other incidents) are passed."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("the board never received the expected event")
        try:
            event = await communicator.receive_json_from(timeout=left)
        except TimeoutError:
            raise AssertionError("the board never received the expected event") from None
        if match(event):
            return event


def firing(incident, repetition: int):
    return lambda e: (
        e.get("kind") == "escalation_fired"  # presence counts come in between
        and e["incident_id"] == incident.pk
        and e["data"]["repetition"] == repetition
    )


async def test_a_p1_is_escalated_on_time_acknowledged_or_repeated_and_moved_up(
    worker_and_beat, board
):
    communicator, user = board
    await sync_to_async(setup_policy)()

    # given two P1s logged with 3 seconds to respond, and nobody responding
    watched = await sync_to_async(log_p1)("Fire alarm in block A")
    ignored = await sync_to_async(log_p1)("Fire alarm in block B")

    # then the worker fires the breach on the board within a sweep interval + 1 s
    fired = await wait_for(communicator, firing(watched, 0), timeout=15)
    late = datetime.fromisoformat(fired["at"]) - datetime.fromisoformat(fired["data"]["due_at"])
    assert timedelta(0) <= late <= timedelta(seconds=SWEEP_SECONDS + 1)
    assert fired["data"]["needs_ack"] is True

    # when a supervisor acknowledges the first
    await sync_to_async(services.acknowledge_escalations)(incident_id=watched.pk, actor=user)
    await wait_for(
        communicator,
        lambda e: e["kind"] == "escalation_acknowledged" and e["incident_id"] == watched.pk,
        timeout=5,
    )

    # then the second, unacknowledged, repeats after 2 s and then moves up a level
    await wait_for(communicator, firing(ignored, 1), timeout=15)
    moved = await wait_for(communicator, firing(ignored, 2), timeout=15)
    assert moved["data"]["action"] == Action.RAISE_LEVEL
    assert moved["data"]["level"] == Level.SUPERVISOR
    levels = await sync_to_async(
        lambda: {e.incident_id: e.level for e in Escalation.objects.all()}
    )()
    assert levels == {watched.pk: Level.AGENT, ignored.pk: Level.SUPERVISOR}
    # and the acknowledged one never repeated
    repeats = await sync_to_async(
        lambda: watched.escalation_events.filter(repetition__gt=0).count()
    )()
    assert repeats == 0
