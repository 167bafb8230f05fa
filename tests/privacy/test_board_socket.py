"""The board's WebSocket (real Redis channel layer) never carries a caller's details."""

import json

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from board.consumers import BoardConsumer
from incidents import demo, services
from incidents.events import last_event_id
from tests.factories import agent, log, supervisor
from tests.privacy.history import OMAR, RUTH

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture(autouse=True)
async def clean_layer():
    layer = get_channel_layer()
    await layer.flush()
    yield
    await layer.flush()
    await layer.close_pools()


async def next_of(communicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message.get("type") == kind:
            return message


def _caller_changes() -> int:
    demo.install_reference_data()
    user = agent()
    incident = log(actor=user, caller_name=RUTH.name, caller_phone=RUTH.phone)
    services.update_incident(
        incident_id=incident.pk,
        actor=user,
        expected_version=1,
        changes={"caller_phone": OMAR.phone, "caller_name": OMAR.name},
        rationale=f"{RUTH.name} passed the phone to {OMAR.name}",
    )
    return incident.pk


async def test_live_events_and_a_resync_over_the_socket_hold_no_caller_details():
    cursor = await sync_to_async(last_event_id)()
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = await sync_to_async(supervisor)()
    connected, _ = await communicator.connect()
    assert connected

    await sync_to_async(_caller_changes)()
    live = [await next_of(communicator, "event"), await next_of(communicator, "event")]
    await communicator.send_json_to({"type": "resync", "after": cursor})
    resync = await next_of(communicator, "resync")
    await communicator.disconnect()

    assert [event["kind"] for event in live] == ["logged", "updated"]
    assert [event["kind"] for event in resync["events"]] == ["logged", "updated"]
    text = json.dumps([live, resync], ensure_ascii=False)
    for value in [*RUTH.values, *OMAR.values]:
        assert value not in text
    assert live[1]["text"].count("[hidden]") == 4  # both fields, before and after
