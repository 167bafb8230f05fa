"""/metrics: per-process counts and the cluster-wide values read at scrape time."""

import socket
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.utils import timezone
from kombu import Queue
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from board import presence, publisher
from escalation.models import EscalationDue
from incidentdesk import health
from tests.factories import log

pytestmark = pytest.mark.django_db


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", HTTP_HOST="10.1.2.3", **headers)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_latency_is_recorded_by_view_name(admin_client):
    before = sample("incidentdesk_http_request_duration_seconds_count", view="login", method="GET")

    admin_client.get("/login/")

    after = scrape(admin_client)
    key = (
        "incidentdesk_http_request_duration_seconds_count",
        (("method", "GET"), ("view", "login")),
    )
    assert after[key] == before + 1


def test_sweep_lag_is_the_age_of_the_oldest_due_step_not_fired(client, reference_data):
    incident = log()
    EscalationDue.objects.all().delete()
    EscalationDue.objects.create(
        incident=incident, step_id=1, due_at=timezone.now() - timedelta(seconds=90)
    )
    EscalationDue.objects.create(
        incident=incident, step_id=2, due_at=timezone.now() + timedelta(hours=1)
    )

    lag = scrape(client)[("incidentdesk_escalation_sweep_lag_seconds", ())]

    assert 90 <= lag < 120


def test_sweep_lag_is_zero_when_nothing_is_due(client):
    EscalationDue.objects.all().delete()

    assert scrape(client)[("incidentdesk_escalation_sweep_lag_seconds", ())] == 0


def test_queue_depths_are_the_lengths_of_the_celery_queues_in_redis(client, settings):
    settings.CELERY_TASK_QUEUES = [Queue("test-metrics-escalation"), Queue("test-metrics-idle")]
    with health.redis_client() as redis:
        redis.delete("test-metrics-escalation", "test-metrics-idle")
        redis.rpush("test-metrics-escalation", "a", "b", "c")
        try:
            values = scrape(client)
        finally:
            redis.delete("test-metrics-escalation")

    length = "incidentdesk_celery_queue_length"
    assert values[(length, (("queue", "test-metrics-escalation"),))] == 3
    assert values[(length, (("queue", "test-metrics-idle"),))] == 0


def test_open_websockets_count_the_live_board_connections(client):
    async_to_sync(presence.seen)(user_id=1, channel_name="test-metrics-a")
    async_to_sync(presence.seen)(user_id=1, channel_name="test-metrics-b")
    try:
        values = scrape(client)
    finally:
        for name in ("test-metrics-a", "test-metrics-b"):
            async_to_sync(presence.gone)(user_id=1, channel_name=name)

    assert values[("incidentdesk_board_websockets_open", ())] >= 2


def test_a_failed_publish_is_counted(settings, django_capture_on_commit_callbacks):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"], "prefix": "test-metrics"},
        }
    }
    before = sample("incidentdesk_board_publish_failures_total", message="resource")

    with django_capture_on_commit_callbacks(execute=True):
        publisher.publish_board({"type": "resource", "resource": {}})
    assert publisher.wait_until_sent()  # the publisher's thread sends it (and fails)

    assert sample("incidentdesk_board_publish_failures_total", message="resource") == before + 1


def test_messages_the_channel_layer_drops_for_a_full_channel_are_counted():
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="test-metrics-drops", capacity=1)
    before = sample("incidentdesk_channel_layer_dropped_total")

    async def overfill():
        await layer.flush()
        channel = await layer.new_channel()
        await layer.group_add("test-group", channel)
        for n in range(3):
            await layer.group_send("test-group", {"type": "x", "n": n})
        await layer.flush()
        await layer.close_pools()

    async_to_sync(overfill)()

    assert sample("incidentdesk_channel_layer_dropped_total") == before + 2


def test_a_metrics_token_is_required_once_set(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer scrape-secret")


def test_a_scrape_with_redis_down_still_answers_with_what_it_can_read(client, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.REDIS_URL = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"

    values = scrape(client)

    assert ("incidentdesk_escalation_sweep_lag_seconds", ()) in values
    assert not any(name == "incidentdesk_celery_queue_length" for name, _ in values)
