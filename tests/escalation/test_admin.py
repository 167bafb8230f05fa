"""Admins edit policies with their steps inline; escalation events are read-only."""

import pytest
from django.urls import reverse

from escalation.models import EscalationEvent, EscalationPolicy, Trigger
from incidents.models import ImpactLevel, Priority, UrgencyLevel
from tests.factories import admin_user, escalation_policy, log

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, reference_data):
    client.force_login(admin_user())
    return client


def test_an_admin_adds_a_policy_with_an_ordered_step(admin_client):
    prefix = "steps"
    response = admin_client.post(
        reverse("admin:escalation_escalationpolicy_add"),
        {
            "name": "P1 out of hours",
            "active": "on",
            "rank": "5",
            "priorities": [Priority.objects.get(code="P1").pk],
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-order": "1",
            f"{prefix}-0-name": "Half the response time",
            f"{prefix}-0-trigger": Trigger.RESPONSE_ELAPSED,
            f"{prefix}-0-percent": "50",
            f"{prefix}-0-action": "notify",
            f"{prefix}-0-channel": "in_app",
            f"{prefix}-0-ack_timeout": "00:05:00",
            f"{prefix}-0-max_repeats": "2",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    policy = EscalationPolicy.objects.get(name="P1 out of hours")
    assert list(policy.steps.values_list("name", "percent")) == [("Half the response time", 50)]


def test_a_percent_step_without_its_percent_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:escalation_escalationpolicy_add"),
        {
            "name": "Broken",
            "rank": "5",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-order": "1",
            "steps-0-name": "Half",
            "steps-0-trigger": Trigger.RESPONSE_ELAPSED,
            "steps-0-action": "notify",
            "steps-0-channel": "in_app",
            "steps-0-ack_timeout": "00:05:00",
            "steps-0-max_repeats": "2",
        },
    )

    assert response.status_code == 200
    assert "what share of the target" in response.content.decode()


def test_escalation_events_are_listed_but_never_editable(admin_client):
    escalation_policy({"trigger": Trigger.P1_LOGGED})
    log(impact=ImpactLevel.objects.get(rank=1), urgency=UrgencyLevel.objects.get(rank=1))
    event = EscalationEvent.objects.get()

    listed = admin_client.get(reverse("admin:escalation_escalationevent_changelist"))
    change = admin_client.post(reverse("admin:escalation_escalationevent_change", args=[event.pk]))

    assert listed.status_code == 200
    assert change.status_code == 403
