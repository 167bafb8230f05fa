"""The dispatch API: lists, recommendations, dispatch, progress, broadcast; 400/409 refusals."""

import pytest
from rest_framework.test import APIClient

from dispatch.models import Dispatch, ResourceGroup
from tests.factories import agent, log, resource, send, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reference_data):
    return log(latitude="51.501000", longitude="-0.124000")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_resources_are_filtered_by_status_and_skill(incident):
    resource("FAC-1", skills=["water-leak"])
    resource("IT-DESK", skills=["it-outage"])
    resource("VAN-1", skills=["water-leak"], status="off_duty")
    api = client_for(agent())

    available = api.get("/api/resources/", {"status": "available", "skill": "water-leak"})

    assert available.status_code == 200
    assert [r["call_sign"] for r in available.json()["results"]] == ["FAC-1"]
    assert api.get("/api/resources/", {"status": "asleep"}).status_code == 400


def test_recommendations_rank_by_distance_with_reasons(incident):
    resource("FAR", position=("51.520000", "-0.124000"))
    resource("NEAR", position=("51.501500", "-0.124000"))

    answer = client_for(supervisor()).get(f"/api/incidents/{incident.pk}/recommendations/")

    ranked = answer.json()
    assert [r["resource"]["call_sign"] for r in ranked] == ["NEAR", "FAR"]
    assert ranked[0]["rank"] == 1
    assert ranked[0]["reasons"][0] == "56 m away"
    assert ranked[0]["channel"] == "phone"  # no channel rule: the default order, phone first


def test_a_supervisor_creates_a_dispatch(incident):
    plumber = resource("FAC-1")

    answer = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/dispatches/",
        {"resource": plumber.pk, "channel": "radio", "briefing": "Go to Block B"},
        format="json",
    )

    assert answer.status_code == 201
    assert answer.json()["resource"] == "FAC-1"
    assert answer.json()["messages"][0]["status"] == "awaiting_confirmation"


def test_a_dispatch_without_a_briefing_sends_the_one_prefilled_from_the_incident(incident):
    from dispatch.selectors import briefing_for

    plumber = resource("FAC-1")

    answer = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/dispatches/",
        {"resource": plumber.pk, "channel": "radio"},
        format="json",
    )

    assert answer.status_code == 201
    assert answer.json()["briefing"] == briefing_for(incident)


def test_an_unverified_resource_is_a_400_with_the_reasons(incident):
    porter = resource("FAC-3", verified=False)

    answer = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/dispatches/",
        {"resource": porter.pk, "channel": "radio", "briefing": "Go"},
        format="json",
    )

    assert answer.status_code == 400
    assert "FAC-3 has no identity and authority check on record." in answer.json()["resource"]


def test_a_busy_resource_is_a_409(incident):
    plumber = resource("FAC-1")
    send(incident, plumber)
    other = log(summary="Another leak")

    answer = client_for(supervisor()).post(
        f"/api/incidents/{other.pk}/dispatches/",
        {"resource": plumber.pk, "channel": "radio", "briefing": "Go"},
        format="json",
    )

    assert answer.status_code == 409
    assert f"dispatched to {incident.reference}" in answer.json()["detail"]


def test_an_unknown_resource_is_a_400_not_a_500(incident):
    answer = client_for(supervisor()).post(
        f"/api/incidents/{incident.pk}/dispatches/",
        {"resource": 999999, "channel": "radio", "briefing": "Go"},
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json() == {"resource": ["There is no such resource."]}


def test_an_agent_may_read_but_not_dispatch(incident):
    plumber = resource("FAC-1")
    api = client_for(agent())

    assert api.get(f"/api/incidents/{incident.pk}/dispatches/").status_code == 200
    refused = api.post(
        f"/api/incidents/{incident.pk}/dispatches/",
        {"resource": plumber.pk, "channel": "radio", "briefing": "Go"},
        format="json",
    )
    assert refused.status_code == 403


def test_progress_moves_on_and_a_step_back_is_a_409(incident):
    dispatch = send(incident, resource("FAC-1"))
    api = client_for(supervisor())

    on_scene = api.post(f"/api/dispatches/{dispatch.pk}/progress/", {"step": "on_scene"})
    back = api.post(f"/api/dispatches/{dispatch.pk}/progress/", {"step": "en_route"})

    assert on_scene.status_code == 200
    assert on_scene.json()["status"] == "on_scene"
    assert back.status_code == 409
    assert "cannot be marked “En route”" in back.json()["detail"]


def test_recall_without_a_reason_is_a_400(incident):
    dispatch = send(incident, resource("FAC-1"))

    answer = client_for(supervisor()).post(
        f"/api/dispatches/{dispatch.pk}/progress/", {"step": "recalled"}
    )

    assert answer.status_code == 400
    assert answer.json() == {"reason": ["Say why the resource is recalled."]}
    assert Dispatch.objects.get().status == "dispatched"


def test_a_broadcast_answers_with_each_recipients_status(incident):
    resource("FAC-1", groups=["Facilities North"])
    resource("FAC-2", groups=["Facilities North"])
    group = ResourceGroup.objects.get()

    answer = client_for(supervisor()).post(
        "/api/broadcasts/",
        {"incident": incident.pk, "group": group.pk, "channel": "radio", "body": "Water off"},
        format="json",
    )

    assert answer.status_code == 201
    assert {(m["recipient"], m["status"]) for m in answer.json()["messages"]} == {
        ("FAC-1", "confirmed"),
        ("FAC-2", "confirmed"),
    }


def test_a_broadcast_for_a_missing_incident_is_a_404(reference_data):
    answer = client_for(supervisor()).post(
        "/api/broadcasts/",
        {"incident": 999999, "group": 1, "channel": "radio", "body": "x"},
        format="json",
    )

    assert answer.status_code == 404


def test_a_radio_briefing_is_confirmed_over_the_api(incident):
    dispatch = send(incident, resource("FAC-1"), channel="radio")
    message = dispatch.messages.get()

    answer = client_for(supervisor()).post(f"/api/messages/{message.pk}/confirm-briefing/")

    assert answer.status_code == 200
    assert answer.json()["status"] == "confirmed"


def test_confirming_a_written_message_is_a_409(incident):
    plumber = resource("FAC-1", contacts={"email": "sam@example.org"})
    message = send(incident, plumber, channel="email").messages.get()

    answer = client_for(supervisor()).post(f"/api/messages/{message.pk}/confirm-briefing/")

    assert answer.status_code == 409


def test_the_resource_list_shows_each_current_incident_in_a_fixed_number_of_queries(
    incident, django_assert_max_num_queries
):
    for n in range(5):
        send(log(summary=f"Leak {n}"), resource(f"R{n}"))
    resource("SPARE")
    api = client_for(agent())

    with django_assert_max_num_queries(12):
        listed = api.get("/api/resources/").json()["results"]

    current = {r["call_sign"]: r["current"] for r in listed}
    assert current["SPARE"] is None
    assert current["R0"]["reference"].startswith("INC-")
