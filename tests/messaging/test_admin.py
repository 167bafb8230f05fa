"""Admin → Messages: every message with its attempts, read-only, signing keys hidden."""

import pytest
from django.urls import reverse

from messaging import services
from tests import factories
from tests.factories import log, resource, send

pytestmark = pytest.mark.django_db


def test_a_message_shows_its_attempts_and_never_its_signing_key(
    client, reference_data, receiver_factory
):
    receiver = receiver_factory(503)
    contractor = resource("LIFT-CO", kind="external", contacts={"webhook": receiver.url})
    message = send(log(), contractor, channel="webhook").messages.get()
    services.deliver(message.pk)
    client.force_login(factories.admin_user())

    listing = client.get(reverse("admin:messaging_message_changelist"))
    page = client.get(reverse("admin:messaging_message_change", args=[message.pk]))

    assert listing.status_code == 200
    assert page.status_code == 200
    assert f"{receiver.url} answered 503" in page.content.decode()
    assert "s" * 32 not in page.content.decode()
