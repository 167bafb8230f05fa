"""A write's answer tells the truth about its outcome: applied (with what is pending), not
applied (safe to retry), or unknown (only when COMMIT itself failed), on PostgreSQL
connections that die at the worst moments."""

import threading
import time

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client

from board import publisher
from incidents import services as incident_services
from incidents.models import ImpactLevel, Incident, UrgencyLevel
from tests.factories import agent, log, resource, send, supervisor
from tests.incidents.api_support import client_for, new_call

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="terminates PostgreSQL backends"
)
pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]


def _terminate(pid: int) -> None:
    """pg_terminate_backend from another connection, as an operator or a failover would."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def kill_after_commit(monkeypatch):
    """Once armed, every published event also registers, after the board's own callback,
    one that terminates this connection: everything after it that reads fails."""
    publish = publisher.publish
    armed = []

    def publish_then_kill(message, *, incident_id):
        publish(message, incident_id=incident_id)
        if armed:
            pid = _backend_pid()
            transaction.on_commit(lambda: _terminate(pid))

    monkeypatch.setattr(publisher, "publish", publish_then_kill)
    yield lambda: armed.append(True)
    connection.close()  # the dead connection; the next query opens a fresh one


def _reprioritise(incident):
    return (
        f"/api/incidents/{incident.pk}/reprioritise/",
        {"impact": 1, "urgency": 1, "reason": "Now near the switchboard", "version": 1},
    )


def _progress(incident):
    dispatch = send(incident, resource("FAC-1"))
    return f"/api/dispatches/{dispatch.pk}/progress/", {"step": "acknowledged"}


@pytest.mark.parametrize("write", [_reprioritise, _progress], ids=["reprioritise", "progress"])
def test_a_connection_terminated_after_commit_still_answers_applied(
    write, reference_data, kill_after_commit
):
    # given
    incident = log()
    url, body = write(incident)
    api = client_for(supervisor())
    kill_after_commit()

    # when the connection dies right after COMMIT, before the answer is sent
    answer = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    # then the client is told it was applied, and it was
    assert answer.status_code == 200, answer.content
    assert answer["Outcome"] == "applied"
    connection.close()
    if write is _reprioritise:
        assert answer.json()["priority"]["code"] == "P1"
        assert Incident.objects.get(pk=incident.pk).priority.code == "P1"
    else:
        assert answer.json()["status"] == "acknowledged"
        assert incident.dispatches.get().status == "acknowledged"


def test_the_database_gone_before_commit_answers_503_not_applied(reference_data):
    incident = log()
    api = client_for(supervisor())
    # The session is read by middleware before the view, so the failure is answered by
    # handler500 (core.views.server_error), as in production, not raised into the test.
    api.raise_request_exception = False
    url, body = _reprioritise(incident)
    _terminate(_backend_pid())

    answer = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert answer["Outcome"] == "not-applied"
    assert answer.json()["outcome"] == "not_applied"
    connection.close()
    assert Incident.objects.get(pk=incident.pk).priority.code == "P2"
    # and the retry with the same key applies it, once
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again


def test_a_failed_commit_answers_unknown_and_the_retry_with_the_key_settles_it(
    reference_data, monkeypatch
):
    # given COMMIT fails once (the server went away at that moment: nobody knows)
    api = client_for(agent())
    real_commit = connection._commit
    failures = []

    def commit_fails_once():
        if not failures:
            failures.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit()

    monkeypatch.setattr(connection, "_commit", commit_fails_once)

    # when
    unknown = api.post("/api/incidents/", new_call(), format="json", HTTP_IDEMPOTENCY_KEY="k")

    # then the answer says it does not know, and a retry with the key settles it
    assert unknown.status_code == 500
    assert unknown["Outcome"] == "unknown"
    assert unknown.json()["outcome"] == "unknown"
    retry = api.post("/api/incidents/", new_call(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retry.status_code == 201
    assert Incident.objects.count() == 1


def test_two_requests_with_one_key_at_once_apply_it_once(reference_data, monkeypatch):
    # given a slow write, so the second request arrives while the first holds its key
    user = agent()
    create = incident_services._create

    def slow_create(**kwargs):
        time.sleep(0.5)
        return create(**kwargs)

    monkeypatch.setattr(incident_services, "_create", slow_create)
    answers = []

    def post():
        try:
            answers.append(
                client_for(user).post(
                    "/api/incidents/", new_call(), format="json", HTTP_IDEMPOTENCY_KEY="same"
                )
            )
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=20)

    # then one applied it and the other waited and got its answer
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Incident.objects.count() == 1


def test_a_page_form_with_the_database_gone_says_not_saved(reference_data):
    incident = log()
    page = Client(raise_request_exception=False)
    page.force_login(supervisor())
    top = {
        "impact": ImpactLevel.objects.get(rank=1).pk,
        "urgency": UrgencyLevel.objects.get(rank=1).pk,
    }
    _terminate(_backend_pid())

    answer = page.post(
        f"/incidents/{incident.pk}/reprioritise/",
        {"version": 1, **top, "reason": "Near the switchboard", "idempotency_key": "p1"},
    )

    assert answer.status_code == 503
    assert b'data-outcome="not_applied"' in answer.content
    assert b"Nothing was changed" in answer.content
    connection.close()
    assert Incident.objects.get(pk=incident.pk).priority.code == "P2"
