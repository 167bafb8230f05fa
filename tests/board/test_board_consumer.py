"""The board's WebSocket against the real Redis channel layer."""

import json
import time
from datetime import timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client
from django.utils import timezone

from board import presence
from board import publisher as realtime
from board import rows as board_rows
from board.consumers import CHECK_SECONDS, BoardConsumer
from board.publisher import BOARD_GROUP, user_group
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


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def connect(user, client: Client | None = None):
    """The consumer with the scope the session middleware gives it: the user and a real
    session (the consumer re-reads it), as `client` signed in, or a new sign-in."""
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = user
    if user.is_authenticated:
        client = client or await sync_to_async(_signed_in)(user)
        communicator.scope["session"] = SessionStore(client.cookies["sessionid"].value)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def closed_with(communicator, timeout: float = 1) -> int:
    """The close code the consumer ends the socket with (after accepting it)."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


async def next_of(communicator, kind: str) -> dict:
    """The next message of this type (presence counts come and go in between)."""
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message.get("type") == kind:
            return message


async def test_anonymous_connection_is_accepted_then_closed_with_4401():
    communicator, connected, _ = await connect(AnonymousUser())

    # accepted first, so a browser sees the code (a refusal before accept shows as 1006)
    assert connected
    assert await closed_with(communicator) == 4401


async def test_agent_without_board_permission_is_accepted_then_closed_with_4403():
    user = await sync_to_async(agent)()

    communicator, connected, _ = await connect(user)

    assert connected
    assert await closed_with(communicator) == 4403


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
    return f"sessionid={_signed_in(user).cookies['sessionid'].value}"


async def _through_the_app(origin: str, cookie: str, host: str = "localhost:8000"):
    communicator = WebsocketCommunicator(
        application,
        "/ws/board/",
        headers=[
            (b"host", host.encode()),
            (b"origin", origin.encode()),
            (b"cookie", cookie.encode()),
        ],
    )
    return communicator, *(await communicator.connect())


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:8000", True),  # the page the socket belongs to
        ("http://localhost:8001", False),  # another app on the same machine
        ("https://localhost:8000", False),  # another scheme
        ("http://localhost", False),  # port 80 is another origin too
        ("https://evil.example", False),
        ("null", False),
    ],
)
async def test_origin_must_be_the_site_itself_scheme_host_and_port(reference, origin, allowed):
    user = await sync_to_async(supervisor)()
    cookie = await sync_to_async(_session_cookie)(user)

    communicator, connected, _ = await _through_the_app(origin, cookie)

    assert connected is allowed
    if connected:
        assert (await next_of(communicator, "presence"))["watching"] == 1
        await communicator.disconnect()


async def test_a_trusted_origin_may_open_the_board(reference, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://board.example.org"]
    user = await sync_to_async(supervisor)()
    cookie = await sync_to_async(_session_cookie)(user)

    trusted, connected, _ = await _through_the_app("https://board.example.org", cookie)
    assert connected
    await trusted.disconnect()
    _other, connected, _ = await _through_the_app("https://board.example.org:8443", cookie)
    assert not connected


async def test_a_host_that_is_not_allowed_is_refused_even_from_its_own_page(reference):
    user = await sync_to_async(supervisor)()
    cookie = await sync_to_async(_session_cookie)(user)

    _bad, connected, _ = await _through_the_app(
        "http://rebound.example:8000", cookie, host="rebound.example:8000"
    )

    assert not connected


# ---- Sockets follow their user ---------------------------------------------------------


async def _group_size(group: str) -> int:
    layer = get_channel_layer()
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


async def _join_board(user):
    client = await sync_to_async(_signed_in)(user)
    communicator, connected, _ = await connect(user, client)
    assert connected
    await next_of(communicator, "presence")
    return communicator, client


async def test_logout_closes_that_sessions_board_at_once(reference):
    user = await sync_to_async(supervisor)()
    board_here, client = await _join_board(user)
    board_elsewhere, _ = await _join_board(user)
    assert await _group_size(user_group(user.pk)) == 2

    await sync_to_async(client.logout)()

    # the logout is pushed to the user's group: no waiting for the periodic check
    assert await closed_with(board_here, timeout=0.5) == 4401
    # the same user's board on another sign-in stays open
    assert await board_elsewhere.receive_nothing(timeout=CHECK_SECONDS + 0.5)
    assert await _group_size(user_group(user.pk)) == 1
    await board_elsewhere.disconnect()


def _deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _remove_from_groups(user):
    user.groups.clear()


def _delete_sessions(user):
    Session.objects.all().delete()


def _replace_permission(user):
    """The board permission moves off the user's group onto another group."""
    group = user.groups.get()
    group.permissions.remove(Permission.objects.get(codename="view_board"))


@pytest.mark.parametrize(
    ("revoke", "code"),
    [
        (_deactivate, 4401),
        (_delete_sessions, 4401),  # logged out elsewhere, or the session expired
        (_remove_from_groups, 4403),
        (_replace_permission, 4403),
    ],
)
async def test_a_revoked_user_is_closed_within_the_check_interval(reference, revoke, code):
    user = await sync_to_async(supervisor)()
    communicator, _client = await _join_board(user)

    await sync_to_async(revoke)(user)

    started = time.monotonic()
    assert await closed_with(communicator, timeout=5) == code
    assert time.monotonic() - started < CHECK_SECONDS * 1.5 + 0.5
    assert await _group_size(BOARD_GROUP) == 0


async def test_a_revoked_user_never_gets_a_resync_answer(reference):
    user = await sync_to_async(supervisor)()
    communicator, _client = await _join_board(user)
    await sync_to_async(_remove_from_groups)(user)

    await communicator.send_json_to({"type": "resync", "after": 0})

    # closed before the periodic check would have run, with no answer on the way
    started, sent = time.monotonic(), []
    while (output := await communicator.receive_output(timeout=1))["type"] != "websocket.close":
        sent.append(json.loads(output["text"])["type"])
    assert output["code"] == 4403
    assert time.monotonic() - started < CHECK_SECONDS
    assert "resync" not in sent


async def test_an_expired_session_closes_the_board(reference):
    user = await sync_to_async(supervisor)()
    communicator, client = await _join_board(user)

    await sync_to_async(
        Session.objects.filter(session_key=client.cookies["sessionid"].value).update
    )(expire_date=timezone.now() - timedelta(seconds=1))

    assert await closed_with(communicator, timeout=5) == 4401


# ---- No ghosts in the groups ------------------------------------------------------------


async def test_a_consumer_that_crashes_leaves_its_groups(reference, monkeypatch):
    user = await sync_to_async(supervisor)()
    communicator, _client = await _join_board(user)
    assert await _group_size(BOARD_GROUP) == 1

    def broken(after):
        raise RuntimeError("resync broke")

    monkeypatch.setattr(board_rows, "resync", broken)
    await communicator.send_json_to({"type": "resync", "after": 0})

    with pytest.raises(RuntimeError, match="resync broke"):
        while True:  # presence counts may come first; a busy machine: the check too
            await communicator.receive_output(timeout=5)
    assert await _group_size(BOARD_GROUP) == 0
    assert await _group_size(user_group(user.pk)) == 0
    # and it no longer counts as watching
    assert (await presence.watching())[0] == 0
