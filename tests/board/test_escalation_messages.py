"""Escalations reach the board live: the row sent with each firing or acknowledgement is
read after commit, so it lists exactly the alerts still waiting for a supervisor."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from board.consumers import BoardConsumer
from escalation import services
from escalation.models import Trigger
from incidents import demo
from incidents.models import ImpactLevel, UrgencyLevel
from tests.factories import escalation_policy, log, resolve, supervisor

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _escalated_p1():
    demo.install_reference_data()
    escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", "requires_ack": True}
    )
    return log(
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        summary="Smoke in the server room",
    )


async def _next_event(communicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message["type"] == "event" and message["kind"] == kind:
            return message


async def test_the_row_lists_a_fired_escalation_until_it_is_acknowledged():
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    boss = await sync_to_async(supervisor)()
    communicator.scope["user"] = boss
    connected, _ = await communicator.connect()
    assert connected

    # when a P1 is logged and its policy's first step fires
    incident = await sync_to_async(_escalated_p1)()
    fired = await _next_event(communicator, "escalation_fired")

    # then the row carried by the firing lists the alert
    [alert] = fired["row"]["alerts"]
    assert alert["step"] == "Tell the duty manager" and alert["needs_ack"] is True
    assert alert["id"] == fired["data"]["escalation_event_id"]

    # and once a supervisor acknowledges, the row sent with that event lists none
    await sync_to_async(services.acknowledge_escalations)(incident_id=incident.pk, actor=boss)
    acknowledged = await _next_event(communicator, "escalation_acknowledged")
    assert acknowledged["row"]["id"] == incident.pk
    assert acknowledged["row"]["alerts"] == []
    await communicator.disconnect()


async def test_resolving_an_incident_sends_its_row_without_its_alerts():
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = await sync_to_async(supervisor)()
    connected, _ = await communicator.connect()
    assert connected
    incident = await sync_to_async(_escalated_p1)()
    fired = await _next_event(communicator, "escalation_fired")
    assert len(fired["row"]["alerts"]) == 1

    # when it is resolved, its open alert closes with it
    await sync_to_async(resolve)(incident)
    closed = await _next_event(communicator, "alerts_closed")

    # then the row sent after commit lists no alert
    assert closed["row"]["id"] == incident.pk
    assert closed["row"]["alerts"] == []
    assert closed["data"]["escalation_event_ids"] == [fired["data"]["escalation_event_id"]]
    await communicator.disconnect()


async def test_a_manual_escalation_reaches_the_board_as_an_alert_line():
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = await sync_to_async(supervisor)()
    connected, _ = await communicator.connect()
    assert connected

    def escalated_by_hand():
        demo.install_reference_data()
        incident = log()
        services.escalate_manually(
            incident_id=incident.pk, actor=supervisor(), reason="Caller threatens legal action"
        )
        return incident

    incident = await sync_to_async(escalated_by_hand)()
    escalated = await _next_event(communicator, "escalated_manually")

    [alert] = escalated["row"]["alerts"]
    assert escalated["row"]["id"] == incident.pk
    assert (alert["step"], alert["needs_ack"], alert["level_label"]) == (
        "Manual escalation",
        True,
        "Supervisor",
    )
    await communicator.disconnect()
