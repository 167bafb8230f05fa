"""How many supervisors are watching the board, kept in Redis so every Daphne counts them.

One sorted-set member per connection (user id and channel name) scored by its last sign of
life; boards ping every PING_SECONDS, so a connection of a crashed server stops counting
after STALE_SECONDS without anyone cleaning up.
"""

import time

import redis.asyncio as redis
from django.conf import settings

PING_SECONDS = 30
STALE_SECONDS = 3 * PING_SECONDS


def _key(suffix: str = "") -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:board-presence{suffix}"


def _member(user_id: int, channel_name: str) -> str:
    return f"{user_id}:{channel_name}"


# A short-lived client per call: presence changes are rare (connect, disconnect, ping) and a
# pooled client would be tied to the event loop that created it.
async def seen(*, user_id: int, channel_name: str) -> None:
    async with redis.from_url(settings.REDIS_URL) as client:
        await client.zadd(_key(), {_member(user_id, channel_name): time.time()})


async def gone(*, user_id: int, channel_name: str) -> None:
    async with redis.from_url(settings.REDIS_URL) as client:
        await client.zrem(_key(), _member(user_id, channel_name))


async def watching() -> tuple[int, bool]:
    """Distinct users with a live board connection, and whether that differs from the count
    last announced (so a storm of reconnections is not N² announcements)."""
    async with redis.from_url(settings.REDIS_URL) as client:
        await client.zremrangebyscore(_key(), "-inf", time.time() - STALE_SECONDS)
        members = await client.zrange(_key(), 0, -1)
        count = len({m.split(b":", 1)[0] for m in members})
        previous = await client.getset(_key(":announced"), count)
    return count, previous is None or int(previous) != count


async def connections() -> int:
    """Board connections alive now, on every server (for /metrics)."""
    async with redis.from_url(settings.REDIS_URL) as client:
        return await client.zcount(_key(), time.time() - STALE_SECONDS, "+inf")
