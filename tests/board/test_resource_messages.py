"""A resource's new status reaches the board as a generic "resource" message after commit."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from board.consumers import BoardConsumer
from incidents import demo
from tests.factories import log, resource, send, supervisor

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _dispatch_a_plumber():
    demo.install_reference_data()
    incident = log()
    send(incident, resource("FAC-1"))
    return incident


async def test_a_dispatch_sends_the_timeline_events_and_the_resource_row():
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = await sync_to_async(supervisor)()
    connected, _ = await communicator.connect()
    assert connected

    incident = await sync_to_async(_dispatch_a_plumber)()

    received = []
    while len(received) < 4:
        message = await communicator.receive_json_from(timeout=3)
        if message["type"] != "presence":  # who is watching: not what this test is about
            received.append(message)
    kinds = [m.get("kind", m.get("type")) for m in received]
    assert kinds == ["logged", "resource_dispatched", "status_changed", "resource"]
    # the incident's row, read after commit, already lists the resource on it
    for event in received[1:3]:
        assert [a["call_sign"] for a in event["row"]["assigned"]] == ["FAC-1"]
    row = received[-1]["resource"]
    assert row["call_sign"] == "FAC-1"
    assert row["status"] == "dispatched"
    assert row["incident"] == {"id": incident.pk, "reference": incident.reference}
    await communicator.disconnect()
