"""The publisher sends from its own thread, after commit, in commit order."""

from itertools import pairwise

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from board import publisher
from board.consumers import BoardConsumer
from incidents import demo
from tests.factories import log, supervisor

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _log_and_count_queries_after_commit(summary: str):
    with CaptureQueriesContext(connection) as queries:
        incident = log(summary=summary)
    sql = [q["sql"] for q in queries.captured_queries]
    return incident, sql[::-1].index("COMMIT")  # queries after the last commit


async def _events(communicator, n: int) -> list[dict]:
    events = []
    while len(events) < n:
        message = await communicator.receive_json_from(timeout=3)
        if message.get("type") == "event":
            events.append(message)
    return events


async def test_the_row_is_read_off_the_request_thread_and_still_after_commit():
    await sync_to_async(demo.install_reference_data)()
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = await sync_to_async(supervisor)()
    assert (await communicator.connect())[0]

    # when an agent logs an incident
    incident, after_commit = await sync_to_async(_log_and_count_queries_after_commit)("Flood")

    # then the request ran no query after its commit (the sender thread reads the row)
    assert after_commit == 0
    [event] = await _events(communicator, 1)
    assert event["row"]["summary"] == "Flood" and event["incident_id"] == incident.pk
    await communicator.disconnect()


async def test_events_go_out_in_commit_order():
    await sync_to_async(demo.install_reference_data)()
    communicator = WebsocketCommunicator(BoardConsumer.as_asgi(), "/ws/board/")
    communicator.scope["user"] = await sync_to_async(supervisor)()
    assert (await communicator.connect())[0]

    for n in range(5):
        await sync_to_async(log)(summary=f"Call {n}")
    assert await sync_to_async(publisher.wait_until_sent)()

    events = await _events(communicator, 5)
    assert [e["row"]["summary"] for e in events] == [f"Call {n}" for n in range(5)]
    assert all(e["prev_id"] == before["id"] for before, e in pairwise(events))
    await communicator.disconnect()
