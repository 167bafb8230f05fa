"""Admin: resources, groups and rules are edited; dispatches and messages are only looked at."""

import pytest
from django.urls import reverse

from dispatch.models import ChannelRule, ResourceStatus
from incidents.models import Category
from messaging.models import Message
from tests import factories
from tests.factories import log, resource, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, reference_data):
    client.force_login(factories.admin_user())
    return client


@pytest.mark.parametrize(
    "name", ["resource", "resourcegroup", "channelrule", "dispatch", "broadcast"]
)
def test_every_dispatch_list_opens_with_its_filters(admin_client, name):
    send(log(), resource("FAC-1"))

    response = admin_client.get(reverse(f"admin:dispatch_{name}_changelist"))

    assert response.status_code == 200


def test_messages_are_read_only(admin_client):
    send(log(), resource("FAC-1"))
    message = Message.objects.get()

    change = admin_client.post(
        reverse("admin:messaging_message_change", args=[message.pk]), {"status": "sent"}
    )

    assert change.status_code == 403
    message.refresh_from_db()
    assert message.status == "awaiting_confirmation"


def test_a_channel_rule_is_typed_as_channels_in_order(admin_client):
    response = admin_client.post(
        reverse("admin:dispatch_channelrule_add"),
        {"category": Category.objects.get(slug="fire-smoke").pk, "channels": "radio, Phone"},
    )

    assert response.status_code == 302
    assert ChannelRule.objects.get().channels == ["radio", "phone"]


def test_an_unknown_channel_in_a_rule_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:dispatch_channelrule_add"),
        {"category": Category.objects.get(slug="fire-smoke").pk, "channels": "radio, pigeon"},
    )

    assert response.status_code == 200
    assert not ChannelRule.objects.exists()


def test_the_verify_action_records_who_checked(admin_client):
    porter = resource("FAC-3", verified=False)

    admin_client.post(
        reverse("admin:dispatch_resource_changelist"),
        {"action": "verify", "_selected_action": [porter.pk]},
    )

    porter.refresh_from_db()
    assert porter.is_verified()
    assert porter.verified_by.is_staff


def test_a_busy_resource_cannot_be_marked_off_duty_from_admin(admin_client):
    plumber = resource("FAC-1")
    send(log(), plumber)

    admin_client.post(
        reverse("admin:dispatch_resource_changelist"),
        {"action": "mark_off_duty", "_selected_action": [plumber.pk]},
    )

    plumber.refresh_from_db()
    assert plumber.status == ResourceStatus.DISPATCHED
