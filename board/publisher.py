"""The one publisher of live events, fed by the hooks the services emit (incidentdesk/wiring.py).

An event goes out after its transaction commits, so no screen shows a change that was
rolled back. A Redis blip after commit is logged, not raised: the change is already safe
in the database, and boards resync from the timeline.

The commit hands the message to one sender thread per process (`_Sender`), which reads the
row and talks to the channel layer; the request that made the change answers without
waiting for either. The thread sends in commit order. What it has not sent when the process
dies is lost, like any message the channel layer drops: boards notice the gap by `prev_id`
and resync from the timeline by event id.
"""

import asyncio
import logging
import os
import queue
import threading

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from prometheus_client import Counter

from board import rows
from core.idempotency import LIVE_UPDATE_PENDING, note_pending
from incidents.events import event_message

logger = logging.getLogger(__name__)

BOARD_GROUP = "board"

# Shown on /metrics (incidentdesk/scrape.py): a rising count means boards live on resyncs.
PUBLISH_FAILURES = Counter(
    "incidentdesk_board_publish_failures_total",
    "Board messages that could not be handed to the channel layer, by message type.",
    ["message"],
)


def incident_group(incident_id: int) -> str:
    return f"incident-{incident_id}"


def user_group(user_id: int) -> str:
    """Every board socket of one user: told when their sign-in may have ended."""
    return f"board-user-{user_id}"


def on_logged_out(*, user, request, **kwargs) -> None:
    """Django's user_logged_out: the boards opened with this session close (4401) now,
    not at their next check. Sent before Django deletes the session, so the message names
    it; the user's other sessions' boards re-check and stay open while theirs is valid."""
    if user is None or getattr(request, "session", None) is None:
        return
    message = {"type": "board.revoke", "session": request.session.session_key}
    try:
        async_to_sync(get_channel_layer().group_send)(user_group(user.pk), message)
    except Exception:
        # The session goes anyway: the boards' periodic check closes them within seconds.
        logger.exception("Could not tell the boards of user %s about the logout", user.pk)


def on_event_recorded(*, event, prev_id: int) -> None:
    """A timeline event was written: send it, with the row it changed, after commit.

    One message goes to every board, so it never carries the caller's contact details
    (incidents.contact): nothing on the board needs them."""
    publish(
        {**event_message(event, caller_visible=False), "prev_id": prev_id},
        incident_id=event.incident_id,
    )


def on_resource_changed(*, row: dict) -> None:
    publish_board({"type": "resource", "resource": row})


def publish(message: dict, *, incident_id: int) -> None:
    """Send `message` to the board and the incident's watchers once the transaction commits."""
    # robust: nothing after commit may reach the answer of a write that is already applied.
    transaction.on_commit(lambda: _hand_over(_send, message, incident_id=incident_id), robust=True)


def publish_board(message: dict) -> None:
    """Send a board message that is not an incident event (e.g. {"type": "resource", ...})
    once the transaction commits. Boards forward it as it is; see docs/architecture.md."""
    transaction.on_commit(lambda: _hand_over(_send_board, message), robust=True)


def _hand_over(send, *args, **kwargs) -> None:
    """After commit, in the writer's thread: the sender thread sends it next, so the write's
    answer says the live update is still pending (core.idempotency), which it is."""
    note_pending(LIVE_UPDATE_PENDING)
    _sender.submit(send, *args, **kwargs)


def _send(loop, layer, message: dict, *, incident_id: int) -> None:
    try:
        # Read after commit, so the row is the committed truth (boards keep the newest version).
        payload = {"type": "incident.event", "event": {**message, "row": _read_row(incident_id)}}
        loop.run_until_complete(
            _group_send(layer, (BOARD_GROUP, incident_group(incident_id)), payload)
        )
    except Exception:
        PUBLISH_FAILURES.labels(message="incident.event").inc()
        logger.exception("Could not publish event %s; boards will resync", message.get("id"))


def _read_row(incident_id: int) -> dict | None:
    close_old_connections()  # a connection the database dropped while the thread was idle
    return rows.incident_row(incident_id)


def _send_board(loop, layer, message: dict) -> None:
    try:
        loop.run_until_complete(
            _group_send(layer, (BOARD_GROUP,), {"type": "board.message", "message": message})
        )
    except Exception:
        PUBLISH_FAILURES.labels(message=message.get("type", "unknown")).inc()
        logger.exception("Could not publish a %s message; boards will resync", message.get("type"))


async def _group_send(layer, groups: tuple[str, ...], payload: dict) -> None:
    for group in groups:
        await layer.group_send(group, payload)


class _Sender:
    """One thread per process, with its own event loop and channel-layer connections, that
    runs the sends one after another in the order the transactions committed."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid = None  # a forked child (Celery's pool) starts its own thread

    def submit(self, send, *args, **kwargs) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._jobs = queue.SimpleQueue()
                threading.Thread(
                    target=self._run, args=(self._jobs,), name="board-publisher", daemon=True
                ).start()
                self._pid = os.getpid()
            self._jobs.put((send, args, kwargs))

    def wait_until_sent(self, timeout: float = 5.0) -> bool:
        """Block until everything submitted so far has been sent (tests wait on it)."""
        if self._pid != os.getpid():
            return True
        done = threading.Event()
        self._jobs.put((None, (done,), {}))
        return done.wait(timeout)

    @staticmethod
    def _run(jobs: queue.SimpleQueue) -> None:
        # One loop for the thread's life, so the channel layer keeps its Redis connections
        # (async_to_sync made a loop, and connections, per message); and a layer of its own,
        # built from the same settings, whose connections belong to this loop alone.
        loop = asyncio.new_event_loop()
        layer, built_from = None, None
        while True:
            send, args, kwargs = jobs.get()
            # Nothing may end this thread: every later event of the process would wait here.
            try:
                if settings.CHANNEL_LAYERS is not built_from:  # (changed only by tests)
                    built_from = settings.CHANNEL_LAYERS
                    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
                if send is None:
                    args[0].set()
                else:
                    send(loop, layer, *args, **kwargs)
                if jobs.empty():
                    # Kept open while busy, closed when idle: nothing closes a thread's
                    # connection at the end of a request, and a test database cannot be
                    # dropped while one is open.
                    connection.close()
            except Exception:
                logger.exception("The board publisher's thread failed a job; it goes on")


_sender = _Sender()
wait_until_sent = _sender.wait_until_sent
