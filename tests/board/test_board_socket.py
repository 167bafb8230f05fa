"""The board's WebSocket through a real Daphne process and a real WebSocket client.

What WebsocketCommunicator cannot show: the Redis connection of an idle consumer (redis-py
8's read timeout), the close code as a client on the wire sees it, and the group
memberships a socket leaves behind when its connection or its server dies.
"""

import asyncio
import json
import signal
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from board.publisher import BOARD_GROUP, user_group
from incidentdesk.embedded_redis import free_port
from incidents import demo
from tests.e2e.conftest import start_daphne, stop_daphne
from tests.factories import agent, log, supervisor

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def daphne(transactional_db, monkeypatch):
    """Start Daphne processes on the test database: start(**environment) → port, process."""
    database = str(connection.settings_dict["NAME"])
    processes = []

    def start(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        port = free_port()
        processes.append(start_daphne(port, database))
        return port, processes[-1]

    yield start
    for process in processes:
        if process.poll() is None:
            stop_daphne(process)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cookie(client: Client) -> str:
    return f"sessionid={client.cookies['sessionid'].value}"


def board(port: int, cookie: str | None = None, origin: str | None = None):
    return connect(
        f"ws://127.0.0.1:{port}/ws/board/",
        additional_headers={"Cookie": cookie} if cookie else None,
        origin=origin or f"http://127.0.0.1:{port}",
        open_timeout=15,
    )


async def messages_for(ws, seconds: float) -> list[dict]:
    """Everything the server sends in the next `seconds` (ConnectionClosed if it closes)."""
    received, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), left)))
        except TimeoutError:
            break
    return received


async def first_type(ws) -> str:
    return json.loads(await asyncio.wait_for(ws.recv(), 10))["type"]


async def close_code(ws, timeout: float = 5) -> int:
    with pytest.raises(ConnectionClosed):
        await messages_for(ws, timeout)
    return ws.close_code


async def group_size(group: str) -> int:
    layer = get_channel_layer()
    return await layer.connection(layer.consistent_hash(group)).zcard(layer._group_key(group))


@pytest.fixture
def reference(transactional_db):
    demo.install_reference_data()


async def test_an_idle_board_stays_connected_and_still_hears_events(reference, daphne):
    # Six times channels_redis's 5 s blocking read: with redis-py 8's default 5 s socket
    # timeout the consumer died at about 6 s and Daphne closed the socket (1011).
    user = await sync_to_async(supervisor)()
    cookie = _cookie(await sync_to_async(_signed_in)(user))
    port, _ = await asyncio.to_thread(daphne)
    async with board(port, cookie) as ws:
        idle = await messages_for(ws, 30)
        assert {m["type"] for m in idle} == {"presence"}

        incident = await sync_to_async(log)()

        events = [m for m in await messages_for(ws, 5) if m["type"] == "event"]
        assert [e["reference"] for e in events] == [incident.reference]
        assert ws.close_code is None


async def test_close_codes_and_origins_on_the_wire(reference, daphne):
    boss = await sync_to_async(supervisor)()
    port, _ = await asyncio.to_thread(daphne)

    # not signed in, and signed in without the board permission: accepted, then the code
    async with board(port) as ws:
        assert await close_code(ws) == 4401
    agent_cookie = _cookie(await sync_to_async(_signed_in)(await sync_to_async(agent)()))
    async with board(port, agent_cookie) as ws:
        assert await close_code(ws) == 4403

    # a page of another port or scheme never gets the socket (the cookie goes with it)
    client = await sync_to_async(_signed_in)(boss)
    for origin in (f"http://127.0.0.1:{free_port()}", f"https://127.0.0.1:{port}"):
        with pytest.raises(InvalidStatus) as refused:
            async with board(port, _cookie(client), origin=origin):
                pass
        assert refused.value.response.status_code == 403

    # logging out closes the board of that session at once
    async with board(port, _cookie(client)) as ws:
        assert await first_type(ws) == "presence"
        started = time.monotonic()
        await sync_to_async(client.logout)()
        assert await close_code(ws) == 4401
        assert time.monotonic() - started < 1.5

    # losing the permission closes it within the check interval
    client = await sync_to_async(_signed_in)(boss)
    async with board(port, _cookie(client)) as ws:
        assert await first_type(ws) == "presence"
        started = time.monotonic()
        await sync_to_async(boss.groups.clear)()
        assert await close_code(ws) == 4403
        assert time.monotonic() - started < 5


async def test_dead_sockets_and_a_killed_server_leave_no_channels_in_the_groups(reference, daphne):
    expiry = 10
    user = await sync_to_async(supervisor)()
    cookie = _cookie(await sync_to_async(_signed_in)(user))
    port_a, _ = await asyncio.to_thread(daphne, CHANNELS_GROUP_EXPIRY=str(expiry))
    port_b, server_b = await asyncio.to_thread(daphne)
    on_a = [await board(port_a, cookie) for _ in range(6)]
    on_b = [await board(port_b, cookie) for _ in range(3)]
    for ws in on_a + on_b:  # each has joined once it has said who is watching
        assert await first_type(ws) == "presence"
    assert await group_size(BOARD_GROUP) == 9

    # two close cleanly, two drop their TCP connection without a close frame, and the
    # other server is killed with its three sockets
    await asyncio.gather(on_a[0].close(), on_a[1].close())
    on_a[2].transport.abort()
    on_a[3].transport.abort()
    server_b.send_signal(signal.SIGKILL)
    server_b.wait(5)
    deadline = time.monotonic() + 5
    while await group_size(BOARD_GROUP) != 2 + 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert await group_size(BOARD_GROUP) == 2 + 3  # the dead server's channels remain

    # every sender prunes memberships older than the group expiry, so one configured
    # like the servers (CHANNELS_GROUP_EXPIRY) drops them once that has passed, while
    # the live sockets renewed theirs
    sender = RedisChannelLayer(
        **{**settings.CHANNEL_LAYERS["default"]["CONFIG"], "group_expiry": expiry}
    )
    deadline = time.monotonic() + expiry * 2
    while time.monotonic() < deadline:
        await sender.group_send(BOARD_GROUP, {"type": "board.message", "message": {"n": 1}})
        # "check your sign-in now": the live ones stay, their session is valid
        await sender.group_send(user_group(user.pk), {"type": "board.revoke"})
        if await group_size(BOARD_GROUP) == 2:
            break
        await asyncio.sleep(1)
    assert await group_size(BOARD_GROUP) == 2
    assert await group_size(user_group(user.pk)) == 2

    # the two live sockets are still in the group well past the expiry
    await asyncio.sleep(expiry / 2)
    await sender.group_send(BOARD_GROUP, {"type": "board.message", "message": {"n": 2}})
    for ws in on_a[4:]:
        received = [m for m in await messages_for(ws, 3) if "n" in m]
        assert received[-1] == {"n": 2}
        await ws.close()
    await sender.close_pools()
