"""Beat's lock: of several beats on one Redis, only the one holding the lock sends.

One beat is the rule (docker-compose's single service, Kubernetes' one replica with the
Recreate strategy). The lock covers the exceptions: a rollout that overlaps, an operator's
`celery beat` left running, two hosts configured alike. A second beat would be harmless
anyway (the sweeps claim with SKIP LOCKED and fire each step once), but it doubles every
tick; with the lock it idles as a standby and takes over within LOCK_SECONDS when the
holder stops renewing.
"""

import logging
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

from incidentdesk import health

logger = logging.getLogger(__name__)

LOCK_SECONDS = 30
# A standby (or a beat that lost Redis) asks again this often: a restarted Redis has no lock
# at all, and the first beat to ask takes it.
STANDBY_RECHECK_SECONDS = 1

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# Renew the lock if it is ours, else take it if it is free: one atomic step.
_HOLD = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('expire', KEYS[1], ARGV[2])
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""


def lock_key() -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:beat-lock"


class LockedScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self.holder = uuid.uuid4().hex
        self.holding = False
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not self.hold_lock():
            return STANDBY_RECHECK_SECONDS
        # The holder sleeps at most a third of the lock's life between renewals.
        return min(super().tick(*args, **kwargs), LOCK_SECONDS / 3)

    def close(self):
        """On a clean stop, hand the lock over at once: the next beat (Recreate, a restart)
        need not wait LOCK_SECONDS for it to expire."""
        super().close()
        if self.holding:
            try:
                with health.redis_client() as client:
                    client.eval(_RELEASE, 1, lock_key(), self.holder)
            except redis.RedisError as error:
                logger.warning("Beat could not release its lock: %s", error)
            self.holding = False

    def hold_lock(self) -> bool:
        try:
            with health.redis_client() as client:
                held = bool(client.eval(_HOLD, 1, lock_key(), self.holder, LOCK_SECONDS))
        except redis.RedisError as error:
            # Redis is the broker too: nothing could be sent now anyway.
            logger.warning("Beat cannot reach Redis for its lock: %s", error)
            held = False
        if held != self.holding:
            logger.warning("Beat %s the lock", "holds" if held else "is on standby without")
            self.holding = held
        return held
