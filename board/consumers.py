"""The live board's WebSocket: authenticate, join the board group, forward messages.

Server → browser: {"type": "event", ...event, "prev_id", "row"} for each timeline event,
other board messages as published (e.g. {"type": "resource", ...}), {"type": "presence",
"watching": n} and {"type": "resync", ...} answers. Browser → server: {"type": "resync",
"after": <last event id applied>} and {"type": "ping"}.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from board import presence
from board import rows as board
from board.publisher import BOARD_GROUP


class BoardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await user.ahas_perm("incidents.view_board"):
            await self.close(code=4403)
            return
        self.user_id = user.pk
        await self.channel_layer.group_add(BOARD_GROUP, self.channel_name)
        await self.accept()
        await presence.seen(user_id=self.user_id, channel_name=self.channel_name)
        watching = await self._announce_presence()
        await self.send_json({"type": "presence", "watching": watching})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(BOARD_GROUP, self.channel_name)
        if hasattr(self, "user_id"):
            await presence.gone(user_id=self.user_id, channel_name=self.channel_name)
            await self._announce_presence()

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # not JSON: ignored like any message we do not know

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resync":
            after = content.get("after")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self.send_json({"type": "error", "detail": "after: a last event id ≥ 0."})
                return
            answer = await database_sync_to_async(board.resync)(after)
            await self.send_json({"type": "resync", **answer})
        elif kind == "ping":
            await presence.seen(user_id=self.user_id, channel_name=self.channel_name)

    async def incident_event(self, message):
        await self.send_json({"type": "event", **message["event"]})

    async def board_message(self, message):
        await self.send_json(message["message"])

    async def board_presence(self, message):
        await self.send_json({"type": "presence", "watching": message["watching"]})

    async def _announce_presence(self) -> int:
        watching, changed = await presence.watching()
        if changed:
            await self.channel_layer.group_send(
                BOARD_GROUP, {"type": "board.presence", "watching": watching}
            )
        return watching
