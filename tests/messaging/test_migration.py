"""The move into the outbox keeps what the previous version recorded: dispatch messages
keep their ids, statuses and errors; customer updates' delivery state becomes their
message; a message stranded as queued is sent by the sweep afterwards."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customer_care.models import CustomerUpdate
from dispatch.models import Broadcast, Dispatch
from incidents import demo
from messaging.models import DeliveryStatus, Message
from tests.factories import agent, log, resource

BEFORE = [
    ("dispatch", "0002_roles"),
    ("customer_care", "0001_initial"),
    ("escalation", "0004_sla_clock_moved_to_incidents"),
    ("messaging", None),
]


@pytest.fixture
def old_apps(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    try:
        yield executor.loader.project_state([t for t in BEFORE if t[1]]).apps
    finally:
        call_command("migrate", verbosity=0)  # the next tests get the current schema


def test_dispatch_messages_and_customer_updates_move_into_the_outbox_with_their_history(
    old_apps,
):
    # given what the previous version wrote: a briefing that failed after 3 attempts, a
    # briefing stranded as queued by a broker outage, and two emailed customer updates
    # (incidents, users and resources are unchanged by the move: made the usual way)
    apps = old_apps
    OldDispatch = apps.get_model("dispatch", "Dispatch")
    OldMessage = apps.get_model("dispatch", "Message")
    OldUpdate = apps.get_model("customer_care", "CustomerUpdate")
    now = timezone.now()
    demo.install_reference_data()
    sam = agent(first_name="Sam", last_name="Lee")
    incident = log(summary="Leak\nBlock B", caller_email="ruth@example.org")
    lift = resource("LIFT-CO", kind="external", contacts={"webhook": "http://127.0.0.1:9/hook"})
    dispatch = OldDispatch.objects.create(
        incident_id=incident.pk,
        resource_id=lift.pk,
        channel="webhook",
        briefing="Go",
        dispatched_by_id=sam.pk,
    )
    failed = OldMessage.objects.create(
        kind="briefing",
        incident_id=incident.pk,
        dispatch=dispatch,
        recipient_id=lift.pk,
        channel="webhook",
        address="http://127.0.0.1:9/hook",
        subject="INC P2 Water leak: Leak\nBlock B",
        body="Go",
        status="failed",
        attempts=3,
        error="http://127.0.0.1:9/hook answered 500",
    )
    stranded = OldMessage.objects.create(
        kind="briefing",
        incident_id=incident.pk,
        dispatch=dispatch,
        recipient_id=lift.pk,
        channel="webhook",
        address="http://127.0.0.1:9/hook",
        subject="INC",
        body="Go",
        status="queued",
    )
    sent_update = OldUpdate.objects.create(
        incident_id=incident.pk,
        channel="email",
        message="On our way.",
        actor_id=sam.pk,
        delivery_status="sent",
        recipient="ruth@example.org",
        attempts=1,
        delivered_at=now,
    )
    queued_update = OldUpdate.objects.create(
        incident_id=incident.pk,
        channel="email",
        message="Still on our way.",
        actor_id=sam.pk,
        delivery_status="queued",
        recipient="ruth@example.org",
    )

    # when the database migrates forward
    call_command("migrate", verbosity=0)

    # then the briefings kept their ids (the timeline points to them), state and errors
    moved = Message.objects.get(pk=failed.pk)
    assert (moved.kind, moved.recipient, moved.status, moved.attempts) == (
        "briefing",
        "LIFT-CO",
        "failed",
        3,
    )
    assert moved.error == "http://127.0.0.1:9/hook answered 500"
    assert moved.subject == "INC P2 Water leak: Leak Block B"
    assert list(Dispatch.objects.get(pk=dispatch.pk).messages.order_by("pk")) == [
        moved,
        Message.objects.get(pk=stranded.pk),
    ]
    waiting = Message.objects.get(pk=stranded.pk)
    assert waiting.status == DeliveryStatus.QUEUED
    assert waiting.next_attempt_at is not None and waiting.signing_secret == "s" * 32
    # and each emailed update is its message now, with the same delivery story
    update = CustomerUpdate.objects.get(pk=sent_update.pk)
    assert (update.delivery_status, update.attempts, update.delivered_at) == ("sent", 1, now)
    assert "On our way." in update.outbound.body and "Hello Ruth Okafor" in update.outbound.body
    assert "Sam Lee" in update.outbound.body
    stuck = CustomerUpdate.objects.get(pk=queued_update.pk)
    assert stuck.outbound.status == DeliveryStatus.QUEUED
    # and a new message does not collide with a copied id
    assert Message.objects.create(kind="briefing", channel="email", body="x").pk > stranded.pk
    assert not Broadcast.objects.exists()
