"""The live board's WebSocket: authenticate, join the board group, forward events."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from incidentdesk.realtime import BOARD_GROUP


class BoardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await self._may_watch(user):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(BOARD_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(BOARD_GROUP, self.channel_name)

    async def incident_event(self, message):
        await self.send_json(message["event"])

    async def board_message(self, message):
        # Board-wide messages that are not timeline events, e.g. {"type": "resource", ...}.
        await self.send_json(message["message"])

    @staticmethod
    async def _may_watch(user) -> bool:
        return await user.ahas_perm("incidents.view_board")
