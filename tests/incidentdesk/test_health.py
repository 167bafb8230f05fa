"""/healthz, /readyz and beat's heartbeat, against the real PostgreSQL and Redis."""

import io
import socket
import time

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder

from incidentdesk import health
from incidentdesk.tasks import beat_heartbeat


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def heartbeat_cleared():
    with health.redis_client() as client:
        client.delete(health._heartbeat_key())
    yield
    with health.redis_client() as client:
        client.delete(health._heartbeat_key())


@pytest.fixture
def migrations_not_yet_checked(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_healthz_answers_without_touching_the_database(client):
    # no django_db mark: any query would fail this test
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_probes_answer_a_host_that_allowed_hosts_does_not_list(client):
    # a kubelet calls the pod by its IP
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200


@pytest.mark.django_db
def test_readyz_is_200_when_database_redis_and_migrations_are_fine(
    client, migrations_not_yet_checked
):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "redis", "migrations"}


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}


@pytest.mark.django_db
def test_readyz_is_503_listing_the_migrations_not_applied(client, migrations_not_yet_checked):
    recorder = MigrationRecorder.Migration.objects
    latest = recorder.filter(app="escalation").order_by("-name").first()
    # given the database is one escalation migration behind the code
    recorder.filter(pk=latest.pk).delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert f"escalation.{latest.name}" in body["checks"]["migrations"]["unapplied"]


@pytest.mark.django_db
def test_the_beat_heartbeat_task_makes_beat_fresh(client, heartbeat_cleared):
    assert client.get("/readyz").json()["beat"] == {"ok": False, "age_seconds": None}

    beat_heartbeat.apply()

    beat = client.get("/readyz").json()["beat"]
    assert beat["ok"] is True
    assert beat["age_seconds"] < 5


@pytest.mark.django_db
def test_a_stale_beat_is_reported_without_failing_readiness(client, settings, heartbeat_cleared):
    health.record_heartbeat(at=time.time() - settings.BEAT_STALE_SECONDS - 30)

    response = client.get("/readyz")

    # a dead beat must not take every web process out of the load balancer
    assert response.status_code == 200
    assert response.json()["beat"]["ok"] is False
    assert response.json()["beat"]["age_seconds"] > settings.BEAT_STALE_SECONDS


def test_check_beat_fails_while_the_heartbeat_is_missing_and_passes_once_fresh(
    heartbeat_cleared,
):
    with pytest.raises(CommandError, match="stale"):
        call_command("check_beat")

    health.record_heartbeat()

    call_command("check_beat", stdout=io.StringIO())
