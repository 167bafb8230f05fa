"""Written briefings leave through real adapters: signed webhooks to a local HTTP server the
test starts, retried through the outbox sweep by a real Celery worker; email through
Django's locmem backend. (Moved from tests/dispatch/test_delivery.py.)"""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.test import override_settings

from incidentdesk.celery import app
from incidents import demo
from incidents.models import EventKind
from incidents.timeline import render
from messaging import adapters, services
from messaging import tasks as _tasks  # noqa: F401 - registers the task with the worker
from messaging.models import DeliveryStatus
from tests.factories import log, resource, send
from tests.messaging.outbox import wait_for

SECRET = "s" * 32


def webhook_dispatch(url):
    incident = log()
    contractor = resource("LIFT-CO", kind="external", contacts={"webhook": url})
    return send(incident, contractor, channel="webhook")


@pytest.mark.django_db
def test_a_webhook_briefing_is_a_signed_json_post(reference_data, receiver_factory):
    # given
    receiver = receiver_factory(200)
    message = webhook_dispatch(receiver.url).messages.get()

    # when
    outcome = services.deliver(message.pk)

    # then the receiver can check the signature with its secret and the timestamp
    assert outcome == DeliveryStatus.SENT
    (headers, body), *_ = receiver.requests
    timestamp = headers[adapters.TIMESTAMP_HEADER]
    assert adapters.verify(SECRET, timestamp, body, headers[adapters.SIGNATURE_HEADER])
    assert not adapters.verify(
        "another-secret-000", timestamp, body, headers["X-IncidentDesk-Signature"]
    )
    payload = json.loads(body)
    assert payload["incident"] == message.incident.reference
    assert payload["kind"] == "briefing"
    assert "/status/" in payload["text"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (DeliveryStatus.SENT, 1, "")
    event = message.incident.events.get(kind=EventKind.MESSAGE_DELIVERY)
    assert render(event) == "Dispatch briefing to LIFT-CO by webhook: sent"


def test_a_signature_over_an_old_timestamp_is_refused_by_verify():
    body = b'{"a":1}'
    old = str(int(time.time()) - 3600)

    assert not adapters.verify(SECRET, old, body, adapters.sign(SECRET, old, body))


@pytest.mark.django_db
def test_a_refusal_from_the_receiver_is_not_retried(reference_data, receiver_factory):
    receiver = receiver_factory(400)
    message = webhook_dispatch(receiver.url).messages.get()

    outcome = services.deliver(message.pk)

    message.refresh_from_db()
    assert outcome == DeliveryStatus.FAILED
    assert message.error == f"{receiver.url} answered 400"
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_an_sms_goes_to_the_configured_gateway_signed_with_its_secret(
    reference_data, receiver_factory
):
    receiver = receiver_factory(202)
    plumber = resource("FAC-1", contacts={"sms": "07700 900201"})
    message = send(log(), plumber, channel="sms").messages.get()

    with override_settings(DISPATCH_GATEWAYS={"sms": (receiver.url, "gateway-secret-1234")}):
        services.deliver(message.pk)

    headers, body = receiver.requests[0]
    assert json.loads(body)["to"] == "07700 900201"
    assert adapters.verify(
        "gateway-secret-1234",
        headers[adapters.TIMESTAMP_HEADER],
        body,
        headers[adapters.SIGNATURE_HEADER],
    )


@pytest.mark.django_db
def test_a_pager_message_without_a_gateway_fails_and_says_what_to_configure(reference_data):
    electrician = resource("FAC-2", contacts={"pager": "4402"})
    message = send(log(), electrician, channel="pager").messages.get()

    services.deliver(message.pk)

    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert "PAGER_GATEWAY_URL" in message.error


@pytest.mark.django_db
def test_an_email_briefing_goes_through_the_email_backend(reference_data):
    plumber = resource("FAC-1", contacts={"email": "sam@example.org"})
    dispatch = send(log(), plumber, channel="email", briefing="Leak above the fuse board.")

    services.deliver(dispatch.messages.get().pk)

    (email,) = mail.outbox
    assert email.to == ["sam@example.org"]
    assert email.subject.startswith(f"{dispatch.incident.reference} P2 Water leak or flood: ")
    assert email.body.startswith("Leak above the fuse board.")
    assert "/status/" in email.body


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_failing_webhook_with_backoff_until_it_is_accepted(
    receiver_factory,
):
    # given a receiver that is down for the first attempt
    demo.install_reference_data()
    receiver = receiver_factory(503, 200)
    app.control.purge()

    # when the dispatch commits, its delivery is queued for a real worker
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        message = webhook_dispatch(receiver.url).messages.get()
        message = wait_for(message.pk, {DeliveryStatus.SENT, DeliveryStatus.FAILED})

    # then
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 2
    assert len(receiver.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_gives_up_after_the_bounded_retries_and_records_the_failure(
    receiver_factory,
):
    demo.install_reference_data()
    receiver = receiver_factory(500)
    app.control.purge()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        message = webhook_dispatch(receiver.url).messages.get()
        message = wait_for(message.pk, {DeliveryStatus.SENT, DeliveryStatus.FAILED})

    # MESSAGE_DELIVERY_MAX_RETRIES is 2 in the test settings: three attempts in all
    assert message.status == DeliveryStatus.FAILED
    assert message.attempts == 3
    assert len(receiver.requests) == 3
    event = message.incident.events.get(kind=EventKind.MESSAGE_DELIVERY)
    assert "failed after 3 attempts" in render(event)
    assert event.rationale == f"{receiver.url} answered 500"
