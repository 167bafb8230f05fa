"""Escalation pages: the banner on the incident, the supervisors' list, the actions."""

import pytest
from django.urls import reverse

from escalation.models import Escalation, EscalationEvent, Level, Trigger
from incidents.models import ImpactLevel, UrgencyLevel
from tests.factories import agent, escalation_policy, log, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def p1(reference_data):
    escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", "requires_ack": True}
    )
    return log(impact=ImpactLevel.objects.get(rank=1), urgency=UrgencyLevel.objects.get(rank=1))


def action(incident, name):
    return reverse("escalation:action", args=[incident.pk, name])


def test_the_incident_page_shows_the_alert_banner_with_acknowledge_to_a_supervisor(client, p1):
    client.force_login(supervisor())

    page = client.get(reverse("incidents:detail", args=[p1.pk])).content.decode()

    assert 'id="escalation-banner"' in page
    assert "Tell the duty manager" in page
    assert ">Acknowledge</button>" in page


def test_an_agent_sees_the_banner_but_no_acknowledge_button(client, p1):
    client.force_login(agent())

    page = client.get(reverse("incidents:detail", args=[p1.pk])).content.decode()

    assert 'id="escalation-banner"' in page
    assert ">Acknowledge</button>" not in page


def test_the_supervisors_list_acknowledges_and_returns_to_the_list(client, p1):
    client.force_login(supervisor())
    listed = client.get(reverse("escalation:list")).content.decode()

    response = client.post(action(p1, "acknowledge"), {"back": "list"})

    assert p1.reference in listed
    assert response.status_code == 302 and response.url == reverse("escalation:list")
    assert not EscalationEvent.objects.filter(awaiting_ack=True).exists()
    assert "Nothing waiting" in client.get(reverse("escalation:list")).content.decode()


def test_the_list_is_for_supervisors_only(client, reference_data):
    client.force_login(agent())

    assert client.get(reverse("escalation:list")).status_code == 403


def test_an_agent_escalates_from_the_incident_page(client, reference_data):
    incident = log()
    client.force_login(agent())

    client.post(action(incident, "escalate"), {"target": "level", "reason": "Angry caller"})

    assert Escalation.objects.get(incident=incident).level == Level.SUPERVISOR


def test_escalating_to_a_team_without_naming_it_is_a_message_not_an_error(client, reference_data):
    incident = log()
    client.force_login(agent())

    response = client.post(
        action(incident, "escalate"), {"target": "team", "reason": "Gas"}, follow=True
    )

    assert response.status_code == 200
    assert "Name the specialist team." in response.content.decode()
    assert Escalation.objects.get(incident=incident).team == ""


def test_user_text_in_a_reason_is_shown_as_text(client, reference_data):
    incident = log()
    client.force_login(agent())

    client.post(action(incident, "escalate"), {"target": "level", "reason": "<b>now</b>"})
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert "&lt;b&gt;now&lt;/b&gt;" in page and "<b>now</b>" not in page
