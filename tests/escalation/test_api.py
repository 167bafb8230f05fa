"""The escalation API: list, acknowledge, escalate by hand, re-apply; the level on incidents."""

import pytest

from escalation.models import EscalationEvent, Level, Trigger
from incidents.models import ImpactLevel, UrgencyLevel
from tests.factories import agent, escalation_policy, log, supervisor
from tests.incidents.api_support import client_for, detail_url

pytestmark = pytest.mark.django_db

ACK = {"requires_ack": True, "max_repeats": 1}


@pytest.fixture
def p1(reference_data):
    escalation_policy({"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", **ACK})
    return log(impact=ImpactLevel.objects.get(rank=1), urgency=UrgencyLevel.objects.get(rank=1))


def test_unacknowledged_escalations_are_listed_for_the_board(p1):
    response = client_for(supervisor()).get("/api/escalations/?unacknowledged=true")

    assert response.status_code == 200
    [alert] = response.json()["results"]
    assert alert["reference"] == p1.reference
    assert (alert["step"], alert["needs_ack"], alert["level_label"]) == (
        "Tell the duty manager",
        True,
        "Agent",
    )


def test_a_supervisor_acknowledges_through_the_api(p1):
    api = client_for(supervisor())

    response = api.post(f"/api/incidents/{p1.pk}/acknowledge-escalation/")

    assert response.status_code == 200
    assert api.get("/api/escalations/?unacknowledged=true").json()["results"] == []
    assert EscalationEvent.objects.get().acknowledged_by.username.startswith("user")


def test_acknowledging_twice_is_a_conflict_not_an_error(p1):
    api = client_for(supervisor())
    api.post(f"/api/incidents/{p1.pk}/acknowledge-escalation/")

    response = api.post(f"/api/incidents/{p1.pk}/acknowledge-escalation/")

    assert response.status_code == 409
    assert "no escalation waiting" in response.json()["detail"]


def test_an_agent_may_not_acknowledge(p1):
    response = client_for(agent()).post(f"/api/incidents/{p1.pk}/acknowledge-escalation/")

    assert response.status_code == 403


def test_an_agent_escalates_with_a_reason_and_the_incident_shows_the_level(reference_data):
    incident = log()
    api = client_for(agent())

    response = api.post(
        f"/api/incidents/{incident.pk}/escalate/", {"reason": "Beyond my authority"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["level"] == Level.SUPERVISOR
    assert api.get(detail_url(incident)).json()["escalation_level"] == Level.SUPERVISOR


def test_escalating_without_a_reason_is_a_400_naming_the_field(reference_data):
    incident = log()

    response = client_for(agent()).post(
        f"/api/incidents/{incident.pk}/escalate/", {"reason": ""}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()


def test_reapplying_the_policy_needs_a_supervisor(reference_data):
    incident = log()

    refused = client_for(agent()).post(f"/api/incidents/{incident.pk}/reapply-policy/")
    done = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/reapply-policy/", {"reason": "New rota"}, format="json"
    )

    assert (refused.status_code, done.status_code) == (403, 200)


def test_a_supervisor_acknowledges_the_incident_and_the_response_timer_stops(reference_data):
    incident = log()

    response = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/acknowledge/",
        {"reason": "Caller's landlord on site, stopcock closed"},
        format="json",
    )

    assert response.status_code == 200
    timers = client_for(supervisor()).get(detail_url(incident)).json()["timers"]
    assert next(t for t in timers if t["kind"] == "response")["met_at"] is not None


def test_an_unknown_incident_is_a_404(reference_data):
    response = client_for(supervisor()).post("/api/incidents/999999/escalate/", {"reason": "x"})

    assert response.status_code == 404
