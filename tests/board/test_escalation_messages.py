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
from tests.factories import escalation_policy, log, supervisor

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
