"""The outbox: a message written while the broker is down is sent once it is back, a worker
killed mid-send is recovered, two sweeps never hand out one message twice, and a newline in
user text never stops a message (findings 8 and 10 of issue 10)."""

import threading
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from customer_care.models import CustomerUpdate
from incidentdesk import embedded_redis
from incidentdesk.celery import app
from incidents import demo
from incidents.models import EventKind
from messaging import services
from messaging import tasks as _tasks  # noqa: F401 - registers the task with the worker
from messaging.models import DeliveryStatus, Message, MessageKind
from messaging.rendering import header_line
from tests.factories import agent, log, resource, send, supervisor
from tests.incidents.api_support import action_url, client_for
from tests.messaging.outbox import wait_for

SUMMARY_WITH_BREAKS = "Water through the ceiling\nBcc: everyone@example.org\r\nBlock B"


# ---- Header safety (finding 8) ----------------------------------------------------------


def test_header_line_folds_every_line_break_and_control_character_to_one_line():
    text = "Leak\nBcc: x@example.org\r\n\tBlock\u2028B\x00\u202e  end"

    assert header_line(text) == "Leak Bcc: x@example.org Block B end"


def test_header_line_bounds_the_length_with_an_ellipsis():
    assert header_line("word " * 100, max_length=20) == "word word word word…"


@pytest.mark.django_db
def test_a_summary_with_line_breaks_still_sends_the_email_briefing_on_one_subject_line(
    reference_data,
):
    # given an incident whose summary was typed (or pasted) with line breaks
    plumber = resource("FAC-1", contacts={"email": "sam@example.org"})
    dispatch = send(log(summary=SUMMARY_WITH_BREAKS), plumber, channel="email")

    # when the worker sends the briefing
    outcome = services.deliver(dispatch.messages.get().pk)

    # then the email left, its subject one line with the summary in it
    assert outcome == DeliveryStatus.SENT
    (email,) = mail.outbox
    assert "\n" not in email.subject and "\r" not in email.subject
    assert "Water through the ceiling Bcc: everyone@example.org Block B" in email.subject
    assert email.to == ["sam@example.org"]
    assert "everyone@example.org" not in email.bcc


@pytest.mark.django_db
def test_every_kind_of_message_is_written_with_a_one_line_subject(reference_data):
    incident = log(summary=SUMMARY_WITH_BREAKS, caller_email="ruth@example.org")

    message = services.enqueue(
        kind=MessageKind.ESCALATION,
        incident=incident,
        channel="email",
        address="dm@example.org",
        subject=f"{incident.reference} escalated: {incident.summary}",
        body="Acknowledge it.",
    )

    assert message.subject == f"{incident.reference} escalated: " + header_line(SUMMARY_WITH_BREAKS)


# ---- Broker outage (finding 10) ---------------------------------------------------------


@pytest.fixture
def own_broker():
    """A Redis of the test's own as the Celery broker, so the test can stop and start it.
    The app's broker connections are rebuilt on the way in and out."""
    original = app.conf.broker_url
    process, url = embedded_redis.start()
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    class Broker:
        def stop(self):
            nonlocal process
            embedded_redis.stop(process)
            process.wait(timeout=10)

        def start(self):
            nonlocal process
            process, _ = embedded_redis.start(port=port)

    def use(broker_url):
        app.close()
        app.amqp._producer_pool = None
        app.conf.broker_url = broker_url

    use(url)
    yield Broker()
    use(original)
    embedded_redis.stop(process)


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_writes_succeed_and_the_sweep_sends_the_messages_once_it_is_back(
    own_broker, receiver_factory
):
    # given a contractor with a webhook, a caller with an email, and the broker down
    demo.install_reference_data()
    receiver = receiver_factory(200)
    incident = log(caller_email="ruth@example.org")
    contractor = resource("LIFT-CO", kind="external", contacts={"webhook": receiver.url})
    own_broker.stop()

    # when an agent sends a customer update and a supervisor dispatches, over the API
    update = client_for(agent()).post(
        action_url(incident, "updates"),
        {"channel": "email", "message": "The engineer arrives at 14:30.", "send": True},
        format="json",
    )
    dispatched = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/dispatches/",
        {"resource": contractor.pk, "channel": "webhook", "briefing": "Lift 2 stuck"},
        format="json",
    )

    # then both writes succeed and say delivery is pending
    assert update.status_code == 201, update.content
    assert update.json()["updates"][0]["delivery_status"] == "queued"
    assert dispatched.status_code == 201, dispatched.content
    assert dispatched.json()["messages"][0]["status"] == "queued"
    pending = list(Message.objects.order_by("pk"))
    assert [(m.status, m.attempts) for m in pending] == [("queued", 0), ("queued", 0)]

    # when the broker comes back and beat sweeps, with nobody pressing anything
    own_broker.start()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        sent = [wait_for(m.pk, {DeliveryStatus.SENT, DeliveryStatus.FAILED}) for m in pending]

    # then every message went, once
    assert [(m.status, m.attempts) for m in sent] == [("sent", 1), ("sent", 1)]
    assert [e.to for e in mail.outbox] == [["ruth@example.org"]]
    assert len(receiver.requests) == 1
    assert CustomerUpdate.objects.get().delivery_status == "sent"
    assert incident.events.filter(kind=EventKind.CUSTOMER_UPDATED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_broker_error_after_commit_is_logged_and_the_message_waits_for_the_sweep(
    own_broker, monkeypatch
):
    # (the warning is read from the logger itself: a Celery worker started by an earlier
    # test may have reconfigured logging)
    warnings = []
    monkeypatch.setattr(
        services.logger, "warning", lambda text, *args, **kw: warnings.append(text % args)
    )
    demo.install_reference_data()
    incident = log()
    own_broker.stop()

    with transaction.atomic():
        message = services.enqueue(
            kind=MessageKind.ESCALATION,
            incident=incident,
            channel="email",
            address="dm@example.org",
            subject="Escalated",
            body="Acknowledge it.",
        )

    message.refresh_from_db()
    assert message.status == DeliveryStatus.QUEUED
    assert message.handed_out_at is None  # due for the very next sweep
    assert warnings == ["Broker unreachable: 1 message(s) wait in the outbox for the sweep"]


# ---- A worker killed mid-send -----------------------------------------------------------


@pytest.mark.django_db
def test_a_message_left_sending_by_a_killed_worker_is_retried_as_an_attempt_of_unknown_outcome(
    reference_data, receiver_factory, settings
):
    # given a worker that claimed a briefing and died before recording anything
    receiver = receiver_factory(200)
    contractor = resource("LIFT-CO", kind="external", contacts={"webhook": receiver.url})
    message = send(log(), contractor, channel="webhook").messages.get()
    claimed_at = timezone.now()
    services._claim(message.pk, now=claimed_at)
    assert Message.objects.get(pk=message.pk).status == DeliveryStatus.SENDING

    # when the sweep runs before and after the worker's lease ran out
    lease = timedelta(seconds=settings.MESSAGE_SENDING_LEASE_SECONDS)
    early = services.sweep(now=claimed_at + lease - timedelta(seconds=1))
    late = services.sweep(now=claimed_at + lease + timedelta(seconds=1))

    # then only the late sweep takes it back, recording the lost attempt honestly
    assert (early, late) == (0, 1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (DeliveryStatus.RETRYING, 1)
    (lost,) = message.delivery_attempts.all()
    assert (lost.number, lost.ok) == (1, None)
    assert "may have been delivered" in lost.error

    # and the next worker sends it
    assert services.deliver(message.pk, now=message.next_attempt_at) == DeliveryStatus.SENT
    assert [a.ok for a in message.delivery_attempts.all()] == [None, True]
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_late_outcome_from_a_worker_whose_lease_ran_out_is_still_recorded(
    reference_data, receiver_factory, settings
):
    receiver = receiver_factory(200)
    contractor = resource("LIFT-CO", kind="external", contacts={"webhook": receiver.url})
    message = send(log(), contractor, channel="webhook").messages.get()
    services._claim(message.pk, now=timezone.now())
    lease = timedelta(seconds=settings.MESSAGE_SENDING_LEASE_SECONDS)
    services.sweep(now=timezone.now() + lease + timedelta(seconds=1))

    # the slow worker finally hears back: the message did leave
    services._record(message.pk, 1, error=None, retryable=False)

    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.delivery_attempts.get(number=1).ok is True


# ---- Two sweeps at once -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_hand_out_the_same_message(monkeypatch):
    # given two due messages, and a hand-out that only records what it was given
    demo.install_reference_data()
    incident = log()
    handed: list[int] = []
    monkeypatch.setattr(services, "_hand_out", handed.extend)
    first, second = (
        services.enqueue(
            kind=MessageKind.ESCALATION,
            incident=incident,
            channel="email",
            address=f"dm{n}@example.org",
            subject="Escalated",
            body="Acknowledge it.",
        )
        for n in range(2)
    )
    Message.objects.update(handed_out_at=None)  # as if the broker had been down
    handed.clear()

    # when one sweep holds the first message while another sweep runs
    others = []
    with transaction.atomic():
        list(Message.objects.select_for_update().filter(pk=first.pk))
        other = threading.Thread(target=lambda: (others.append(services.sweep()), _close()))
        other.start()
        other.join(timeout=10)
    # then the other sweep skipped the locked row instead of waiting or taking it
    assert others == [1]
    assert handed == [second.pk]

    # and once free it is handed out exactly once, however many sweeps follow
    services.sweep()
    services.sweep()
    assert sorted(handed) == sorted([first.pk, second.pk])


def _close():
    connection.close()  # the thread's own database connection


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_hand_out_each_due_message_once(monkeypatch):
    demo.install_reference_data()
    incident = log()
    handed: list[int] = []
    lock = threading.Lock()

    def record(ids):
        with lock:
            handed.extend(ids)

    monkeypatch.setattr(services, "_hand_out", record)
    for n in range(40):
        services.enqueue(
            kind=MessageKind.ESCALATION,
            incident=incident,
            channel="email",
            address=f"dm{n}@example.org",
            subject="Escalated",
            body="Acknowledge it.",
        )
    Message.objects.update(handed_out_at=None)
    handed.clear()
    start = threading.Barrier(4)

    def sweep_repeatedly():
        start.wait()
        for _ in range(5):
            services.sweep()
        connection.close()

    threads = [threading.Thread(target=sweep_repeatedly) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(handed) == sorted(Message.objects.values_list("pk", flat=True))


# ---- Retries ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_by_the_sweep_when_due_not_before(
    reference_data, receiver_factory, monkeypatch
):
    receiver = receiver_factory(503, 200)
    contractor = resource("LIFT-CO", kind="external", contacts={"webhook": receiver.url})
    message = send(log(), contractor, channel="webhook").messages.get()
    handed: list[int] = []
    monkeypatch.setattr(services, "_hand_out", handed.extend)

    services.deliver(message.pk)
    message.refresh_from_db()
    early = services.sweep(now=message.next_attempt_at - timedelta(milliseconds=50))
    due = services.sweep(now=message.next_attempt_at)

    assert message.status == DeliveryStatus.RETRYING
    assert (early, due, handed) == (0, 1, [message.pk])
    assert services.deliver(message.pk, now=message.next_attempt_at) == DeliveryStatus.SENT
    assert [a.ok for a in message.delivery_attempts.all()] == [False, True]
