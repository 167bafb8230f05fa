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

    async def send_to_groups():
        for group in (BOARD_GROUP, incident_group(incident_id)):
            await layer.group_send(group, payload)

    try:
        # One async_to_sync for both groups: each call costs an event loop and a connection.
        async_to_sync(send_to_groups)()
    except Exception:
        logger.exception("Could not publish event %s; boards will resync", message.get("id"))
