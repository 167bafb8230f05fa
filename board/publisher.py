"""The one publisher of live events, fed by the hooks the services emit (incidentdesk/wiring.py).

An event goes out after its transaction commits, so no screen shows a change that was
rolled back. A Redis blip after commit is logged, not raised: the change is already safe
in the database, and boards resync from the timeline.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from prometheus_client import Counter

from board import rows
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


def on_event_recorded(*, event, prev_id: int) -> None:
    """A timeline event was written: send it, with the row it changed, after commit."""
    publish({**event_message(event), "prev_id": prev_id}, incident_id=event.incident_id)


def on_resource_changed(*, row: dict) -> None:
    publish_board({"type": "resource", "resource": row})


def publish(message: dict, *, incident_id: int) -> None:
    """Send `message` to the board and the incident's watchers once the transaction commits."""
    transaction.on_commit(lambda: _send(message, incident_id=incident_id))


def publish_board(message: dict) -> None:
    """Send a board message that is not an incident event (e.g. {"type": "resource", ...})
    once the transaction commits. Boards forward it as it is; see docs/architecture.md."""
    transaction.on_commit(lambda: _send_board(message))


def _send(message: dict, *, incident_id: int) -> None:
    layer = get_channel_layer()

    async def send_to_groups(payload):
        for group in (BOARD_GROUP, incident_group(incident_id)):
            await layer.group_send(group, payload)

    try:
        # Read after commit, so the row is the committed truth (boards keep the newest version).
        message = {**message, "row": rows.incident_row(incident_id)}
        # One async_to_sync for both groups: each call costs an event loop and a connection.
        async_to_sync(send_to_groups)({"type": "incident.event", "event": message})
    except Exception:
        PUBLISH_FAILURES.labels(message="incident.event").inc()
        logger.exception("Could not publish event %s; boards will resync", message.get("id"))


def _send_board(message: dict) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            BOARD_GROUP, {"type": "board.message", "message": message}
        )
    except Exception:
        PUBLISH_FAILURES.labels(message=message.get("type", "unknown")).inc()
        logger.exception("Could not publish a %s message; boards will resync", message.get("type"))
