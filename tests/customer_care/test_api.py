"""The customer-care endpoints: updates, resolve, close, reopen, satisfaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import EventKind, SlaTimer
from tests.factories import agent, log, resolve
from tests.incidents.api_support import INCIDENTS, action_url, client_for, detail_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(reference_data):
    return client_for(agent())


def post(api, incident, name, body):
    return api.post(action_url(incident, name), body, format="json")


def test_an_update_is_recorded_and_the_next_one_falls_due(api):
    incident = log()

    response = post(api, incident, "updates", {"channel": "phone", "message": "On our way."})

    assert response.status_code == 201
    (given,) = response.json()["updates"]
    assert (given["reference"], given["delivery_status"]) == (incident.reference, "recorded")
    care = api.get(action_url(incident, "care")).json()
    assert care["updates"][0]["message"] == "On our way."
    assert care["customer_update_due"]["overdue"] is False


def test_an_overdue_update_shows_in_the_incident_list(api):
    incident = log()
    SlaTimer.objects.filter(incident=incident, kind="customer_update").update(
        due_at=timezone.now() - timedelta(minutes=5)
    )

    (row,) = api.get(INCIDENTS).json()["results"]

    assert row["customer_update_due"]["overdue"] is True


def test_an_update_to_linked_callers_answers_each_one(api):
    parent = log()
    child = log(parent=parent)

    response = post(
        api,
        parent,
        "updates",
        {"channel": "phone", "message": "Mains valve off.", "include_linked": True},
    )

    references = {u["reference"] for u in response.json()["updates"]}
    assert references == {parent.reference, child.reference}


def test_resolve_without_notes_is_400_naming_the_field(api):
    response = post(api, log(), "resolve", {"code": "fixed", "notes": ""})

    assert response.status_code == 400
    assert "notes" in response.json()


def test_resolve_with_notes_and_code_answers_the_resolved_incident(api):
    response = post(api, log(), "resolve", {"code": "fixed", "notes": "Joint replaced."})

    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response["ETag"] == '"2"'


def test_the_status_endpoint_refuses_resolved_with_the_reason(api):
    response = post(api, log(), "status", {"status": "resolved"})

    assert response.status_code == 409
    assert "resolve" in response.json()["detail"]


def test_closing_an_unresolved_incident_is_409_with_the_reason(api):
    response = post(api, log(), "close", {"method": "phone", "confirmed_by": "Ruth"})

    assert response.status_code == 409
    assert "cannot move" in response.json()["detail"]


def test_closing_without_who_confirmed_is_400(api):
    response = post(api, resolve(log()), "close", {"method": "phone", "confirmed_by": ""})

    assert response.status_code == 400
    assert "confirmed_by" in response.json()


def test_closing_with_a_stale_version_is_409(api):
    incident = resolve(log())

    response = post(
        api, incident, "close", {"method": "phone", "confirmed_by": "Ruth", "version": 1}
    )

    assert response.status_code == 409
    assert response.json()["current_version"] == 2


def test_close_with_linked_calls_closes_them_too(api):
    parent = log()
    child = log(parent=parent)
    resolve(parent)

    response = post(
        api,
        parent,
        "close",
        {"method": "phone", "confirmed_by": "Ruth Okafor", "include_linked": True},
    )

    assert response.status_code == 200
    assert api.get(detail_url(child)).json()["status"] == "closed"
    care = api.get(action_url(parent, "care")).json()
    assert care["closure"]["confirmed_by"] == "Ruth Okafor"
    assert care["closure"]["confirmed"] is True


def test_reopen_needs_a_reason_then_fires_the_reopened_event(api):
    incident = resolve(log())

    assert post(api, incident, "reopen", {"reason": ""}).status_code == 400
    response = post(api, incident, "reopen", {"reason": "Dripping again"})

    assert response.json()["status"] == "reopened"
    assert incident.events.last().kind == EventKind.REOPENED


def test_satisfaction_is_recorded_once_resolved(api):
    incident = log()

    assert post(api, incident, "satisfaction", {"score": 5}).status_code == 409
    resolve(incident)
    response = post(api, incident, "satisfaction", {"score": 5, "comment": "Fast"})

    assert response.status_code == 201
    assert response.json()["source"] == "agent"


def test_a_score_of_6_is_400(api):
    response = post(api, resolve(log()), "satisfaction", {"score": 6})

    assert response.status_code == 400


def test_a_user_without_change_permission_cannot_resolve(reference_data):
    from tests.factories import UserFactory

    viewer = client_for(UserFactory())

    response = post(viewer, log(), "resolve", {"code": "fixed", "notes": "x"})

    assert response.status_code == 403
