"""Customer updates and survey links through the outbox: email content through Django's
locmem backend, the one bounded retry policy, SMS through the signed gateway, and the send
on a real Celery worker through the real Redis broker. (Moved from
tests/customer_care/test_tasks.py.)"""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from customer_care import services as care
from customer_care.models import CustomerUpdate, SatisfactionLink
from incidentdesk.celery import app
from incidents.models import EventKind
from messaging import adapters, services
from messaging import tasks as _tasks  # noqa: F401 - registers the task with the worker
from tests.factories import agent, log, resolve
from tests.messaging.outbox import drain


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def queued_update(incident, message="The engineer arrives at 14:30."):
    return care.give_customer_update(
        incident_id=incident.pk,
        actor=agent(first_name="Alice", last_name="Ng"),
        channel="email",
        message=message,
        send=True,
    ).updates[0]


@pytest.mark.django_db
def test_the_update_email_tells_the_caller_what_was_said_and_the_reference(reference_data):
    incident = log(caller_email="ruth@example.org", summary="Water <through> the ceiling")
    given = queued_update(incident)

    drain(given.outbound_id)

    (email,) = mail.outbox
    assert email.to == ["ruth@example.org"]
    assert email.subject == f"Update on your report {incident.reference}"
    assert "The engineer arrives at 14:30." in email.body
    assert "Water <through> the ceiling" in email.body  # plain text, not HTML-escaped
    assert "Hello Ruth Okafor" in email.body
    assert "Alice Ng" in email.body
    given.refresh_from_db()
    assert given.delivery_status == "sent"
    assert incident.events.last().kind == EventKind.CUSTOMER_UPDATED


@pytest.mark.django_db
def test_a_redelivered_send_task_does_not_email_twice(reference_data):
    given = queued_update(log(caller_email="ruth@example.org"))

    services.deliver(given.outbound_id)
    services.deliver(given.outbound_id)

    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_send_that_keeps_failing_is_retried_a_bounded_number_of_times_then_shown(
    reference_data, settings
):
    # given an SMTP server that refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    incident = log(caller_email="ruth@example.org")
    given = queued_update(incident)
    due_before = incident.timers.get(kind="customer_update").due_at

    # when the worker and the sweep have made every attempt
    drain(given.outbound_id)

    # then the failure is on the incident and the update clock still runs
    given.refresh_from_db()
    assert given.delivery_status == "failed"
    assert given.attempts == settings.MESSAGE_DELIVERY_MAX_RETRIES + 1
    assert incident.events.last().kind == EventKind.CUSTOMER_UPDATE_FAILED
    assert incident.timers.get(kind="customer_update").due_at == due_before


@pytest.mark.django_db
def test_the_survey_email_carries_a_working_single_use_link(reference_data, client):
    incident = resolve(log(caller_email="ruth@example.org"))
    link = SatisfactionLink.objects.get()

    drain(link.outbound_id)

    (email,) = mail.outbox
    assert email.subject == f"How did we do? {incident.reference} is resolved"
    url = next(word for word in email.body.split() if "/satisfaction/" in word)
    assert url.startswith("http://")
    path = url.split("127.0.0.1:8000", 1)[1]
    assert client.get(path).status_code == 200
    assert incident.events.last().kind == EventKind.SATISFACTION_LINK_SENT


@pytest.mark.django_db(transaction=True)
def test_an_emailed_update_is_sent_by_the_worker_after_commit(reference_data):
    incident = log(caller_email="ruth@example.org")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        given = queued_update(incident)
        sent = wait_for(lambda: CustomerUpdate.objects.get(pk=given.pk).delivery_status == "sent")

    assert sent
    assert [m.to for m in mail.outbox] == [["ruth@example.org"]]


@pytest.mark.django_db
def test_an_sms_update_goes_to_the_callers_phone_through_the_signed_sms_gateway(
    reference_data, receiver_factory, settings
):
    # given the organisation's SMS gateway, and a caller with a phone number
    gateway = receiver_factory(200)
    settings.DISPATCH_GATEWAYS = {"sms": (gateway.url, "gateway-secret-1234")}
    incident = log(caller_phone="07700 900123", caller_email="")
    given = care.give_customer_update(
        incident_id=incident.pk,
        actor=agent(),
        channel="sms",
        message="The engineer arrives at 14:30.",
        send=True,
    ).updates[0]

    # when the worker sends it
    drain(given.outbound_id)

    # then the gateway got one signed POST for that number, and the update counts as given
    ((headers, body),) = gateway.requests
    assert adapters.verify(
        "gateway-secret-1234",
        headers[adapters.TIMESTAMP_HEADER],
        body,
        headers[adapters.SIGNATURE_HEADER],
    )
    payload = json.loads(body)
    assert (payload["to"], payload["incident"]) == ("+447700900123", incident.reference)
    assert "The engineer arrives at 14:30." in payload["text"]
    given.refresh_from_db()
    assert given.delivery_status == "sent"
    assert incident.events.last().kind == EventKind.CUSTOMER_UPDATED


@pytest.mark.django_db
def test_an_sms_update_with_no_gateway_configured_fails_at_once_and_says_so(
    reference_data, settings
):
    settings.DISPATCH_GATEWAYS = {"sms": ("", "")}
    incident = log(caller_phone="07700 900123")
    given = care.give_customer_update(
        incident_id=incident.pk, actor=agent(), channel="sms", message="On its way.", send=True
    ).updates[0]

    drain(given.outbound_id)

    given.refresh_from_db()
    assert given.delivery_status == "failed"
    assert given.attempts == 1  # a missing gateway will not appear on retry
    assert "SMS_GATEWAY_URL" in given.error
