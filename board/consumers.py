"""The live board's WebSocket: authenticate, join the board group, forward messages.

Server → browser: {"type": "event", ...event, "prev_id", "row"} for each timeline event,
other board messages as published (e.g. {"type": "resource", ...}), {"type": "presence",
"watching": n} and {"type": "resync", ...} answers. Browser → server: {"type": "resync",
"after": <last event id applied>} and {"type": "ping"}.

A socket follows its sign-in: it is accepted and then closed with 4401 (not signed in, or
the session ended: logout, expiry, user deactivated) or 4403 (no board permission), so the
browser sees the code (a refusal before accept shows as 1006). The check runs at connect,
every CHECK_SECONDS, before every resync answer, and at once when the user's group
(publisher.user_group) is told of a logout. Whatever ends a socket (close, a crash in a
handler, a dead channel layer), it leaves its groups and the presence count.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from functools import partial
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model

from board import presence
from board import rows as board
from board.publisher import BOARD_GROUP, user_group

logger = logging.getLogger(__name__)

NOT_SIGNED_IN = 4401
NO_PERMISSION = 4403
PERMISSION = "incidents.view_board"
# Revocation (logout elsewhere, deactivation, a lost permission) closes a socket within
# CHECK_SECONDS plus one shared result's age (below): under the 5 s promised.
CHECK_SECONDS = 2.0


@database_sync_to_async
def _verdict(session_key: str | None, user_id: int | None, *, has_session: bool = True):
    """None while the session is alive and its user may see the board, else the close code.

    The session is read afresh from its store (a deleted or expired one is empty) and its
    user through Django's own rules (active, session hash still valid). A scope without
    a session (a consumer mounted without the session middleware, as unit tests do)
    re-reads its user: still there, active, allowed."""
    if user_id is None or (has_session and not session_key):
        return NOT_SIGNED_IN
    if has_session:
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        user = auth.get_user(SimpleNamespace(session=store))
    else:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.is_authenticated or user.pk != user_id:
        return NOT_SIGNED_IN
    if not user.has_perm(PERMISSION):
        return NO_PERMISSION
    return None


# The periodic checks of the sockets of one session share a result for half an interval:
# a wall of boards on one sign-in costs one check per interval, not one per socket (the
# ORM calls all run in one thread per process). Only on the task's own event loop.
_shared: dict[str, tuple[float, asyncio.Task]] = {}


# channels_redis hands a group message to every socket of a process as one object, and a
# board event is a few KB: encode it once for all of them, not once per socket (at 1,000
# boards that was a thousand json.dumps per event). Held strongly, so identity is safe.
_encoded: tuple[object, str] | None = None


def _encode_once(source: dict, content: Callable[[], dict]) -> str:
    global _encoded
    if _encoded is None or _encoded[0] is not source:
        _encoded = (source, json.dumps(content()))
    return _encoded[1]


class BoardConsumer(AsyncJsonWebsocketConsumer):
    user_id: int | None = None
    session_key: str | None = None
    _groups: tuple[str, ...] = ()
    _watch: asyncio.Task | None = None
    _ended = False

    async def __call__(self, scope, receive, send):
        # However the consumer stops (StopConsumer after a close, an exception from a
        # handler or from the channel layer's receive, cancellation by the server), its
        # channel leaves the groups: a dead channel left there gets every group_send.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._leave()

    async def connect(self):
        user = self.scope.get("user")
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        if user is not None and user.is_authenticated:
            self.user_id = user.pk
        # The auth middleware read the session and its user for this very handshake: only
        # the permission is left to check (a reconnect storm is one query per socket less).
        if self.user_id is None or ("session" in self.scope and not self.session_key):
            code = NOT_SIGNED_IN
        elif not await user.ahas_perm(PERMISSION):
            code = NO_PERMISSION
        else:
            code = None
        if code is not None:
            # Accepted, then closed: a close before accept reaches the browser as 1006.
            await self.accept()
            await self._end(code)
            return
        self._groups = (BOARD_GROUP, user_group(self.user_id))
        # Joined before accepting: once the socket is open, nothing published is missed.
        await self._join()
        await self.accept()
        self._watch = asyncio.ensure_future(self._keep_watch())
        await presence.seen(user_id=self.user_id, channel_name=self.channel_name)
        watching = await self._announce_presence()
        await self.send_json({"type": "presence", "watching": watching})

    async def disconnect(self, code):
        await self._leave()

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # not JSON: ignored like any message we do not know

    async def receive_json(self, content, **kwargs):
        if self._ended:
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resync":
            after = content.get("after")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self.send_json({"type": "error", "detail": "after: a last event id ≥ 0."})
                return
            # Its own check, never a shared result: a revoked user never gets an answer.
            code = await self._check()
            if code is not None:
                await self._end(code)
                return
            answer = await database_sync_to_async(board.resync)(after)
            if not self._ended:
                await self.send_json({"type": "resync", **answer})
        elif kind == "ping":
            await presence.seen(user_id=self.user_id, channel_name=self.channel_name)

    async def incident_event(self, message):
        event = message["event"]
        await self._send_text(_encode_once(event, lambda: {"type": "event", **event}))

    async def board_message(self, message):
        await self._send_text(_encode_once(message["message"], lambda: message["message"]))

    async def board_presence(self, message):
        await self.send_json({"type": "presence", "watching": message["watching"]})

    async def board_revoke(self, message):
        """The user logged out of a session: this one closes if it was that session,
        the others check theirs now."""
        if message.get("session") == self.session_key:
            await self._end(NOT_SIGNED_IN)
            return
        code = await self._check()
        if code is not None:
            await self._end(code)

    async def send_json(self, content, close=False):
        await self._send_text(await self.encode_json(content))
        if close:
            await self.close()

    async def _send_text(self, text: str):
        if not self._ended:  # a revoked socket is sent nothing more, whatever is queued
            await self.send(text_data=text)

    async def _keep_watch(self):
        """Every CHECK_SECONDS: is the sign-in still good? And renew the group memberships
        before the layer's group_expiry drops them (channels_redis counts a membership
        from its last group_add)."""
        expiry = getattr(self.channel_layer, "group_expiry", 86400)
        renew_every = max(CHECK_SECONDS, expiry / 5)
        joined = time.monotonic()
        while not self._ended:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                # Shielded: this socket's cancellation must not cancel the shared check.
                code = await asyncio.shield(self._shared_check())
                if code is not None:
                    await self._end(code)
                    return
                if time.monotonic() - joined >= renew_every:
                    await self._join()
                    joined = time.monotonic()
            except Exception:
                # The database or Redis blipped: the socket stays, the next tick tries
                # again (a dead channel layer ends the consumer through its receive).
                logger.warning("Board socket check failed; retrying", exc_info=True)

    def _check(self):
        return _verdict(self.session_key, self.user_id, has_session="session" in self.scope)

    def _shared_check(self) -> asyncio.Task:
        """The periodic check, shared by the sockets of one session (below)."""
        now = time.monotonic()
        key = self.session_key or f"user-{self.user_id}"
        started, task = _shared.get(key, (0.0, None))
        if (
            task is None
            or now - started > CHECK_SECONDS / 2
            or task.get_loop() is not asyncio.get_running_loop()
        ):
            for old in [k for k, (at, _) in _shared.items() if now - at > CHECK_SECONDS]:
                del _shared[old]
            task = asyncio.ensure_future(self._check())
            _shared[key] = (now, task)
        return task

    async def _join(self):
        for group in self._groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _end(self, code: int):
        """Stop sending, leave the groups and presence, close with the code."""
        if self._ended:
            return
        await self._leave()
        await self.close(code=code)

    async def _leave(self):
        """Idempotent, and each step on its own: one failing (Redis gone) skips no other."""
        if self._ended:
            return
        self._ended = True
        if self._watch is not None and self._watch is not asyncio.current_task():
            self._watch.cancel()
        steps = [
            partial(self.channel_layer.group_discard, g, self.channel_name) for g in self._groups
        ]
        if self._groups:
            steps.append(
                partial(presence.gone, user_id=self.user_id, channel_name=self.channel_name)
            )
        for step in steps:
            try:
                await step()
            except Exception:
                logger.warning("Board socket cleanup step failed", exc_info=True)
        if self._groups:
            try:
                await self._announce_presence()
            except Exception:
                logger.warning("Could not announce the board presence", exc_info=True)

    async def _announce_presence(self) -> int:
        watching, changed = await presence.watching()
        if changed:
            await self.channel_layer.group_send(
                BOARD_GROUP, {"type": "board.presence", "watching": watching}
            )
        return watching
