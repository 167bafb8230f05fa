"""Editing incidents through the API: optimistic concurrency and the action endpoints."""

import pytest

from incidents.models import EventKind, Incident
from tests.factories import agent, log, minor, on_dispatch, supervisor
from tests.incidents.api_support import action_url, client_for, detail_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reference_data):
    return log()


@pytest.fixture
def api(reference_data):
    return client_for(agent())


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "1"])
def test_patch_with_if_match_applies_the_change_and_bumps_the_version(api, incident, if_match):
    response = api.patch(
        detail_url(incident), {"location": "Block C"}, format="json", HTTP_IF_MATCH=if_match
    )

    assert response.status_code == 200
    assert response.json()["location"] == "Block C"
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'


def test_patch_with_version_in_the_body_and_a_reason_records_both(api, incident):
    response = api.patch(
        detail_url(incident),
        {"summary": "Leak stopped", "version": 1, "reason": "Caller rang back"},
        format="json",
    )

    assert response.status_code == 200
    event = incident.events.get(kind=EventKind.UPDATED)
    assert event.rationale == "Caller rang back"
    assert event.data["changes"]["summary"][1] == "Leak stopped"


def test_a_stale_patch_is_refused_with_409_and_overwrites_nothing(api, incident):
    # given someone else changed the incident after we read version 1
    api.patch(detail_url(incident), {"location": "Block C"}, format="json", HTTP_IF_MATCH='"1"')

    # when we send our change made from version 1
    response = api.patch(
        detail_url(incident), {"location": "Block D"}, format="json", HTTP_IF_MATCH='"1"'
    )

    # then
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    incident.refresh_from_db()
    assert incident.location == "Block C"
    assert incident.version == 2


def test_a_patch_without_any_version_is_428(api, incident):
    response = api.patch(detail_url(incident), {"location": "Block C"}, format="json")

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.version == 1


def test_a_patch_of_a_field_that_is_not_editable_is_400(api, incident):
    response = api.patch(
        detail_url(incident),
        {"status": "closed", "priority": "P5", "location": "Block C", "version": 1},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"status", "priority"}
    incident.refresh_from_db()
    assert incident.location != "Block C"


def test_a_patch_that_blanks_a_mandatory_field_is_400(api, incident):
    response = api.patch(detail_url(incident), {"caller_name": "", "version": 1}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"caller_name"}


def test_if_match_and_body_version_that_disagree_are_400(api, incident):
    response = api.patch(
        detail_url(incident),
        {"location": "Block C", "version": 2},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 400
    assert "version" in response.json()


def test_status_action_moves_the_incident_on(api, incident):
    on_dispatch(incident)
    response = api.post(action_url(incident, "status"), {"status": "dispatched"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"


def test_a_transition_the_lifecycle_forbids_is_409(api, incident):
    response = api.post(action_url(incident, "status"), {"status": "closed"}, format="json")

    assert response.status_code == 409
    assert "cannot move" in response.json()["detail"]


def test_an_action_with_a_stale_if_match_is_409(api, incident):
    response = api.post(
        action_url(incident, "status"), {"status": "dispatched"}, format="json", HTTP_IF_MATCH="7"
    )

    assert response.status_code == 409
    assert Incident.objects.get(pk=incident.pk).status == "logged"


def test_cancelling_needs_a_reason(api):
    incident = minor()
    response = api.post(action_url(incident, "status"), {"status": "cancelled"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()


def test_a_supervisor_reprioritises_with_a_reason(incident):
    api = client_for(supervisor())

    response = api.post(
        action_url(incident, "reprioritise"),
        {"impact": 1, "urgency": 1, "reason": "Now near the switchboard", "version": 1},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["priority"]["code"] == "P1"
    assert response.json()["priority_justification"] == "Now near the switchboard"


def test_link_and_unlink_a_call(api, incident):
    call = log()

    linked = api.post(action_url(call, "link"), {"parent": incident.reference}, format="json")
    unlinked = api.post(action_url(call, "unlink"), {"reason": "Different leak"}, format="json")

    assert linked.status_code == 200
    assert linked.json()["parent"] == incident.reference
    assert unlinked.status_code == 200
    assert unlinked.json()["parent"] is None


def test_linking_to_an_unknown_incident_names_it(api, incident):
    response = api.post(action_url(incident, "link"), {"parent": "INC-999999"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"parent": ["There is no incident “INC-999999”."]}


def test_confirm_details_records_the_read_back(api, incident):
    response = api.post(action_url(incident, "confirm-details"), format="json")

    assert response.status_code == 200
    assert response.json()["details_confirmed"] is True
    assert incident.events.filter(kind=EventKind.DETAILS_CONFIRMED).exists()


def test_an_action_on_an_unknown_incident_is_404(api, reference_data):
    response = api.post("/api/incidents/999999/status/", {"status": "dispatched"}, format="json")

    assert response.status_code == 404
