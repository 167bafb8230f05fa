"""The one publisher of live events. Only services call it.

An event goes out after its transaction commits, so no screen shows a change that was
rolled back. A Redis blip after commit is logged, not raised: the change is already safe
in the database, and boards resync from the timeline.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

BOARD_GROUP = "board"


def incident_group(incident_id: int) -> str:
    return f"incident-{incident_id}"


def publish(message: dict, *, incident_id: int) -> None:
    """Send `message` to the board and the incident's watchers once the transaction commits."""
    transaction.on_commit(lambda: _send(message, incident_id=incident_id))


def _send(message: dict, *, incident_id: int) -> None:
    layer = get_channel_layer()
    payload = {"type": "incident.event", "event": message}
    try:
        for group in (BOARD_GROUP, incident_group(incident_id)):
            async_to_sync(layer.group_send)(group, payload)
    except Exception:
        logger.exception("Could not publish event %s; boards will resync", message.get("id"))


def publish_board(message: dict) -> None:
    """Send a message that belongs to no one incident (e.g. a resource's new status) to the
    board once the transaction commits; safe by default like publish()."""
    transaction.on_commit(lambda: _send_board(message))


def _send_board(message: dict) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            BOARD_GROUP, {"type": "board.message", "message": message}
        )
    except Exception:
        logger.exception("Could not publish a %s message; boards will resync", message.get("type"))
