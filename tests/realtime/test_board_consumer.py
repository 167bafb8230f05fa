"""The board's WebSocket against the real Redis channel layer."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from dispatch.consumers import BoardConsumer
from incidents import demo
from tests.factories import agent, log, supervisor

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


@pytest_asyncio.fixture(autouse=True)
async def clean_layer():
    layer = get_channel_layer()
    await layer.flush()
    yield
    await layer.flush()
    await layer.close_pools()


@pytest_asyncio.fixture
async def reference():
    await sync_to_async(demo.install_reference_data)()


async def connect(user):
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_connection_is_closed():
    _communicator, connected, code = await connect(AnonymousUser())

    assert not connected
    assert code == 4401


async def test_agent_without_board_permission_is_closed():
    user = await sync_to_async(agent)()

    _communicator, connected, code = await connect(user)

    assert not connected
    assert code == 4403


async def test_supervisor_receives_a_logged_incident_after_commit(reference):
    user = await sync_to_async(supervisor)()
    communicator, connected, _ = await connect(user)
    assert connected

    incident = await sync_to_async(log)()

    event = await communicator.receive_json_from(timeout=3)
    assert event["kind"] == "logged"
    assert event["reference"] == incident.reference
    assert event["incident"]["priority"] == "P2"
    await communicator.disconnect()


def _log_then_roll_back():
    with transaction.atomic():
        log()
        transaction.set_rollback(True)


async def test_a_rolled_back_change_never_reaches_the_board(reference):
    user = await sync_to_async(supervisor)()
    communicator, connected, _ = await connect(user)
    assert connected

    await sync_to_async(_log_then_roll_back)()
    committed = await sync_to_async(log)(summary="Committed one")

    event = await communicator.receive_json_from(timeout=3)
    assert event["reference"] == committed.reference
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
