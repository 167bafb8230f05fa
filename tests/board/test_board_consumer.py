"""The board's WebSocket against the real Redis channel layer."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client

from board import publisher as realtime
from board.consumers import BoardConsumer
from incidentdesk.asgi import application
from incidents import demo, services
from incidents.models import IncidentEvent, Status
from tests.factories import agent, log, on_dispatch, supervisor

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


@pytest_asyncio.fixture
async def reference():
    await sync_to_async(demo.install_reference_data)()


async def connect(user):
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def next_of(communicator, kind: str) -> dict:
    """The next message of this type (presence counts come and go in between)."""
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message.get("type") == kind:
            return message


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

    event = await next_of(communicator, "event")
    assert event["kind"] == "logged"
    assert event["reference"] == incident.reference
    assert event["incident"]["priority"] == "P2"
    assert event["row"]["summary"] == incident.summary
    assert event["prev_id"] < event["id"]
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

    event = await next_of(communicator, "event")
    assert event["reference"] == committed.reference
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


def _log_and_dispatch():
    incident = log(summary="while away")
    on_dispatch(incident)
    services.change_status(incident_id=incident.pk, actor=None, to_status=Status.DISPATCHED)
    return incident


async def test_resync_returns_exactly_the_missed_events(reference):
    # given a board that applied everything up to the first incident, then went away
    user = await sync_to_async(supervisor)()
    await sync_to_async(log)()
    cursor = await sync_to_async(lambda: IncidentEvent.objects.latest("id").pk)()
    missed = await sync_to_async(_log_and_dispatch)()

    # when it comes back and asks for what it missed
    communicator, connected, _ = await connect(user)
    assert connected
    await communicator.send_json_to({"type": "resync", "after": cursor})
    answer = await next_of(communicator, "resync")

    # then it gets those two events in order and the incident's current row
    assert [(e["reference"], e["kind"]) for e in answer["events"]] == [
        (missed.reference, "logged"),
        (missed.reference, "status_changed"),
    ]
    assert [(r["reference"], r["status"]) for r in answer["rows"]] == [
        (missed.reference, "dispatched")
    ]
    assert answer["cursor"] == answer["events"][-1]["id"]
    await communicator.disconnect()


async def test_a_bad_resync_request_is_answered_not_crashed(reference):
    user = await sync_to_async(supervisor)()
    communicator, connected, _ = await connect(user)
    assert connected

    await communicator.send_json_to({"type": "resync", "after": "x"})
    await communicator.send_to(text_data="not json")

    assert (await next_of(communicator, "error"))["detail"]
    await communicator.send_json_to({"type": "resync", "after": 0})
    assert (await next_of(communicator, "resync"))["reset"] is False
    await communicator.disconnect()


async def test_a_resource_message_reaches_the_board_as_published(reference):
    user = await sync_to_async(supervisor)()
    communicator, connected, _ = await connect(user)
    assert connected
    message = {"type": "resource", "resource": {"id": 7, "name": "Van 7", "status": "available"}}

    await sync_to_async(realtime.publish_board)(message)

    assert await next_of(communicator, "resource") == message
    await communicator.disconnect()


async def test_presence_counts_supervisors_not_connections(reference):
    first, second = await sync_to_async(supervisor)(), await sync_to_async(supervisor)()
    one, _, _ = await connect(first)
    assert (await next_of(one, "presence"))["watching"] == 1
    again, _, _ = await connect(first)
    assert (await next_of(again, "presence"))["watching"] == 1
    other, _, _ = await connect(second)

    assert (await next_of(other, "presence"))["watching"] == 2
    for communicator in (one, again, other):
        await communicator.disconnect()


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def _through_the_app(origin: str, cookie: str):
    communicator = WebsocketCommunicator(
        application,
        "/ws/board/",
        headers=[(b"origin", origin.encode()), (b"cookie", cookie.encode())],
    )
    return communicator, *(await communicator.connect())


async def test_origin_must_be_an_allowed_host(reference):
    user = await sync_to_async(supervisor)()
    cookie = await sync_to_async(_session_cookie)(user)

    good, connected, _ = await _through_the_app("http://localhost", cookie)
    assert connected
    await good.disconnect()

    _bad, connected, _ = await _through_the_app("https://evil.example", cookie)
    assert not connected
