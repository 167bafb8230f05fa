"""/metrics: the per-process metrics (incidentdesk/metrics.py, added up over every
gunicorn worker in multi-process mode) and the cluster-wide values, read at scrape time from
the shared PostgreSQL and Redis (sweep lag, queue depths, open board WebSockets, beat's
heartbeat), so every process reports the same truth and none has to be the one that counts.
"""

import hmac
import logging
import os

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db.models import Min
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from board import presence
from escalation.models import EscalationDue
from incidentdesk import health

logger = logging.getLogger(__name__)


class ClusterCollector:
    """Values read at scrape time from the shared PostgreSQL and Redis."""

    def collect(self):
        # A part that cannot be read (Redis down) is left out, not the whole scrape: the
        # missing series and /readyz say what is down.
        for part in (self._sweep_lag, self._redis_values):
            try:
                families = list(part())
            except Exception as error:
                logger.warning("Could not read %s for /metrics: %s", part.__name__, error)
                continue
            yield from families

    def _sweep_lag(self):
        oldest = EscalationDue.objects.filter(due_at__lte=timezone.now()).aggregate(
            oldest=Min("due_at")
        )["oldest"]
        lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "incidentdesk_escalation_sweep_lag_seconds",
            "Age of the oldest escalation step that is due and not yet fired (0: none due).",
            value=lag,
        )

    def _redis_values(self):
        queues = GaugeMetricFamily(
            "incidentdesk_celery_queue_length",
            "Tasks waiting in each Celery queue (the Redis list's length).",
            labels=["queue"],
        )
        with health.redis_client() as client:
            for queue in settings.CELERY_TASK_QUEUES:
                queues.add_metric([queue.name], client.llen(queue.name))
        yield queues
        yield GaugeMetricFamily(
            "incidentdesk_board_websockets_open",
            "Board WebSocket connections alive (board presence, every ASGI process).",
            value=async_to_sync(presence.connections)(),
        )
        age = health.heartbeat_age()
        yield GaugeMetricFamily(
            "incidentdesk_beat_heartbeat_age_seconds",
            "Seconds since beat's heartbeat task last ran (+Inf: never).",
            value=float("inf") if age is None else age,
        )


def _registry():
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return registry


def view(request):
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(
        request.headers.get("Authorization", ""), f"Bearer {token}"
    ):
        return HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(ClusterCollector())
    body = generate_latest(_registry()) + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
