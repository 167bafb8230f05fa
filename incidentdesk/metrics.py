"""Per-process Prometheus metrics (prometheus_client): request latency by view and
channel-layer drops here, board publish failures in board/publisher.py.

Each process counts what it saw; under gunicorn each worker writes its counts to
PROMETHEUS_MULTIPROC_DIR and a scrape of any worker adds them all up
(incidentdesk/gunicorn_conf.py clears the folder at start and forgets dead workers). No model
imports here: settings.LOGGING loads ChannelLayerDrops before the apps are ready. The
cluster-wide values and the /metrics view are in incidentdesk/scrape.py.
"""

import logging
import time

from prometheus_client import Counter, Histogram

REQUEST_LATENCY = Histogram(
    "incidentdesk_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHANNEL_LAYER_DROPS = Counter(
    "incidentdesk_channel_layer_dropped_total",
    "Messages channels_redis dropped because a consumer's channel was full.",
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    """Times every request by its URL pattern's name (bounded labels: never the raw path)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = (match.view_name or match.route) if match else "unresolved"
        method = request.method if request.method in METHODS else "other"
        REQUEST_LATENCY.labels(view=view, method=method).observe(time.perf_counter() - started)
        return response


class ChannelLayerDrops(logging.Handler):
    """channels_redis says how many channels of a group were over capacity only in a log
    line ("%s of %s channels over capacity in group %s"); counting that line is the one
    way to see the drops. Attached to its logger in settings.LOGGING."""

    def emit(self, record):
        if "over capacity" in record.msg and record.args:
            CHANNEL_LAYER_DROPS.inc(int(record.args[0]))
