"""What a load balancer, an orchestrator and an operator ask of a process.

/healthz: the process answers (liveness; no I/O, so a database outage never gets every
process restarted). /readyz: it can serve (readiness): the database answers, Redis answers,
every migration is applied; 503 naming what failed otherwise. Both also report beat's
heartbeat, which never fails readiness: a stale beat is one process's fault, and taking every
web process out of the load balancer for it would add an outage to an outage. The operator
hears of it from the alert on `incidentdesk_beat_heartbeat_age_seconds` (docs/deployment.md).
"""

import logging
import time

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from redis.sentinel import Sentinel

logger = logging.getLogger(__name__)

# Probes come every few seconds; a probe must answer well inside their timeout.
REDIS_TIMEOUT_SECONDS = 1.0


def redis_client() -> redis.Redis:
    """A client of the Redis the channel layer and the broker use (through Sentinel when
    REDIS_SENTINELS is set). Short timeouts: its callers are probes and scrapes."""
    timeouts = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    }
    if settings.REDIS_SENTINELS:
        return Sentinel(settings.REDIS_SENTINELS, sentinel_kwargs=timeouts).master_for(
            settings.REDIS_SENTINEL_MASTER,
            db=settings.REDIS_DB,
            password=settings.REDIS_PASSWORD,
            **timeouts,
        )
    return redis.Redis.from_url(settings.REDIS_URL, **timeouts)


def _heartbeat_key() -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:beat-heartbeat"


def record_heartbeat(*, at: float | None = None) -> None:
    with redis_client() as client:
        client.set(_heartbeat_key(), at if at is not None else time.time())


def heartbeat_age() -> float | None:
    """Seconds since beat's last heartbeat ran, or None if none was ever recorded."""
    with redis_client() as client:
        value = client.get(_heartbeat_key())
    return None if value is None else max(0.0, time.time() - float(value))


def beat_status() -> dict:
    try:
        age = heartbeat_age()
    except redis.RedisError as error:
        return {"ok": False, "error": type(error).__name__}
    stale = age is None or age > settings.BEAT_STALE_SECONDS
    return {"ok": not stale, "age_seconds": None if age is None else round(age, 1)}


def check_database() -> dict:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_redis() -> dict:
    with redis_client() as client:
        client.ping()
    return {"ok": True}


# Once every migration is applied it stays so for this process's code: asked again only
# while something is missing, so a probe does not load the migration graph every time.
_migrations_applied = False


def check_migrations() -> dict:
    global _migrations_applied
    if _migrations_applied:
        return {"ok": True}
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    unapplied = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    _migrations_applied = not unapplied
    return {"ok": not unapplied, "unapplied": unapplied} if unapplied else {"ok": True}


CHECKS = {"database": check_database, "redis": check_redis, "migrations": check_migrations}


def readiness() -> dict:
    checks = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as error:
            # The body names the failure; the details (hosts, ports) go to the log only.
            logger.warning("Readiness check %s failed: %s", name, error)
            checks[name] = {"ok": False, "error": type(error).__name__}
    failed = [name for name, result in checks.items() if not result["ok"]]
    return {
        "status": "fail" if failed else "ok",
        "failed": failed,
        "checks": checks,
        "beat": beat_status(),
    }


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    report = readiness()
    return JsonResponse(report, status=503 if report["failed"] else 200)
