"""The incidents API: create, read, list and edit, as integrations use it."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from escalation.models import Trigger
from incidents import demo
from incidents.events import event_message
from incidents.models import Category, ImpactLevel, Incident, UrgencyLevel
from tests.factories import agent, escalation_policy, log, minor, on_dispatch
from tests.incidents.api_support import INCIDENTS, action_url, client_for, detail_url, new_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(reference_data):
    return agent()


@pytest.fixture
def api(user):
    return client_for(user)


def test_create_answers_201_with_priority_sla_and_version(api, user):
    # when
    response = api.post(INCIDENTS, new_call(), format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get()
    assert body["id"] == incident.pk
    assert body["reference"] == incident.reference
    assert body["status"] == "logged"
    assert body["version"] == 1
    assert body["priority"] == {"code": "P2", "name": "High", "colour": "#ef6c00"}
    assert body["impact"]["rank"] == 2 and body["urgency"]["rank"] == 1
    assert body["matrix_version"] == 1
    assert body["created_by"] == user.username
    assert body["created_at"]
    assert {t["kind"] for t in body["timers"]} == {"response", "resolution", "customer_update"}
    assert all(t["due_at"] for t in body["timers"])
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(detail_url(incident))


@pytest.mark.parametrize(("impact", "urgency"), [(i, u) for i in (1, 2, 3) for u in (1, 2, 3)])
def test_every_matrix_cell_gives_the_demo_priority(api, impact, urgency):
    response = api.post(INCIDENTS, new_call(impact=impact, urgency=urgency), format="json")

    assert response.status_code == 201
    assert response.json()["priority"]["code"] == demo.MATRIX[impact - 1][urgency - 1]


def test_missing_mandatory_fields_are_all_named(api):
    response = api.post(INCIDENTS, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {
        "contact_channel",
        "caller_name",
        "caller_phone",
        "caller_email",
        "location",
        "category",
        "summary",
        "impact",
        "urgency",
    }
    assert not Incident.objects.exists()


def test_blank_and_null_count_as_missing(api):
    body = new_call(caller_name="   ", category="", impact=None)

    response = api.post(INCIDENTS, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"caller_name", "category", "impact"}


def test_unknown_category_slug_is_named_in_the_error(api):
    response = api.post(INCIDENTS, new_call(category="volcano"), format="json")

    assert response.status_code == 400
    assert response.json() == {"category": ["There is no active category “volcano”."]}


def test_unknown_impact_rank_is_named_in_the_error(api):
    response = api.post(INCIDENTS, new_call(impact=7), format="json")

    assert response.status_code == 400
    assert response.json() == {"impact": ["There is no impact level with rank 7."]}


def test_a_call_can_be_linked_to_its_parent_when_logged(api):
    parent = log()

    response = api.post(INCIDENTS, new_call(parent=parent.reference), format="json")

    assert response.status_code == 201
    assert response.json()["parent"] == parent.reference


def test_gps_coordinates_are_rounded_to_six_places(api):
    body = new_call(latitude=51.50735094, longitude=-0.12775829)

    response = api.post(INCIDENTS, body, format="json")

    assert response.status_code == 201
    assert response.json()["latitude"] == 51.507351
    assert response.json()["longitude"] == -0.127758


# ---- Idempotency-Key ---------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_incident(api):
    # given a first request that created an incident
    first = api.post(INCIDENTS, new_call(), format="json", HTTP_IDEMPOTENCY_KEY="call-42")

    # when the client retries it (same key, same body with its keys in another order)
    retry_body = dict(reversed(list(new_call().items())))
    retry = api.post(INCIDENTS, retry_body, format="json", HTTP_IDEMPOTENCY_KEY="call-42")

    # then
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Incident.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(api):
    api.post(INCIDENTS, new_call(), format="json", HTTP_IDEMPOTENCY_KEY="call-42")

    response = api.post(
        INCIDENTS, new_call(summary="Another leak"), format="json", HTTP_IDEMPOTENCY_KEY="call-42"
    )

    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Incident.objects.count() == 1


def test_an_idempotency_key_longer_than_255_characters_is_refused(api):
    response = api.post(INCIDENTS, new_call(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Incident.objects.exists()


# ---- Read --------------------------------------------------------------------------------


def test_detail_carries_the_version_as_etag_and_lists_linked_calls(api):
    parent = log()
    child = log(parent=parent)

    response = api.get(detail_url(parent))

    assert response.status_code == 200
    assert response["ETag"] == f'"{parent.version}"'
    assert response.json()["children"] == [child.reference]


def test_an_unknown_incident_is_404(api):
    assert api.get(f"{INCIDENTS}999999/").status_code == 404
    assert api.get(f"{INCIDENTS}{'9' * 18}/").status_code == 404
    assert api.get(f"{INCIDENTS}INC-000001/").status_code == 404


def test_events_are_the_timeline_in_the_live_event_shape(api, user):
    incident = log(actor=user)
    api.post(action_url(incident, "confirm-details"), {}, format="json")

    response = api.get(action_url(incident, "events"))

    assert response.status_code == 200
    incident.refresh_from_db()
    expected = [event_message(e, caller_visible=True) for e in incident.events.order_by("id")]
    assert response.json() == expected
    assert [e["kind"] for e in response.json()] == ["logged", "details_confirmed"]


# ---- List --------------------------------------------------------------------------------


def listed(api, **params) -> list[str]:
    response = api.get(INCIDENTS, params)
    assert response.status_code == 200
    return [row["reference"] for row in response.json()["results"]]


def test_list_filters_by_status(api):
    logged, dispatched = log(), log()
    on_dispatch(dispatched)
    api.post(action_url(dispatched, "status"), {"status": "dispatched"}, format="json")

    assert listed(api, status="dispatched") == [dispatched.reference]
    assert listed(api, status="logged") == [logged.reference]


def test_list_filters_by_priority_code(api):
    level = {
        rank: (ImpactLevel.objects.get(rank=rank), UrgencyLevel.objects.get(rank=rank))
        for rank in (1, 3)
    }
    p1 = log(impact=level[1][0], urgency=level[1][1])
    p5 = log(impact=level[3][0], urgency=level[3][1])

    assert listed(api, priority="P1") == [p1.reference]
    assert listed(api, priority="P5") == [p5.reference]


def test_list_filters_by_category_slug(api):
    leak, fire = log(), log(category=Category.objects.get(slug="fire-smoke"))

    assert listed(api, category="fire-smoke") == [fire.reference]
    assert listed(api, category="water-leak") == [leak.reference]


def test_list_open_leaves_out_closed_and_cancelled(api):
    still_open, cancelled = log(), minor()
    api.post(
        action_url(cancelled, "status"),
        {"status": "cancelled", "reason": "Duplicate call"},
        format="json",
    )

    assert listed(api, open="true") == [still_open.reference]
    assert set(listed(api)) == {still_open.reference, cancelled.reference}


def test_list_searches_caller_location_and_reference(api):
    kitchen = log(location="Kitchen, block A")
    garage = log(location="Underground garage", caller_name="Sam Webb")

    assert listed(api, q="garage") == [garage.reference]
    assert listed(api, q="webb") == [garage.reference]
    assert listed(api, q=kitchen.reference) == [kitchen.reference]


def test_an_unknown_status_filter_is_a_400(api):
    response = api.get(INCIDENTS, {"status": "on_fire"})

    assert response.status_code == 400
    assert "status" in response.json()


def _list_queries(django_assert_num_queries, client, expected: int) -> int:
    with django_assert_num_queries(expected):
        response = client.get(INCIDENTS, {"page_size": 200})
    assert response.status_code == 200
    return len(response.json()["results"])


# session, user, 2 × permissions, count, page (joined), parents, escalations, SLA timers,
# the one INSERT of the caller-details view log (incidents/contact.py) for every incident
# shown, and the session saved again (SESSION_SAVE_EVERY_REQUEST moves the idle deadline:
# savepoint, update, release).
LIST_QUERIES = 13


@pytest.mark.parametrize("how_many", [5, 500])
def test_the_list_costs_the_same_queries_for_5_or_500_incidents(
    user, how_many, django_assert_num_queries
):
    # given incidents, some of them linked calls
    parent = log(actor=user)
    for n in range(how_many - 1):
        log(actor=user, parent=parent if n % 10 == 0 else None)
    client = APIClient()
    client.force_login(user)

    # when / then a logged-in session lists a full page in a fixed number of queries
    shown = _list_queries(django_assert_num_queries, client, LIST_QUERIES)
    assert shown == min(how_many, 200)


# session, user, 2 × permissions; category, impact, urgency; the transaction: matrix cell,
# incident, clocks, timeline lock (PostgreSQL only), last event id, event; entering the
# escalation policy: policy, steps, escalation, clocks, due work; the answer
# (selectors.detail_of_logged): escalation, clocks, linked calls; and the transaction's
# BEGIN and COMMIT (a savepoint and its release inside the test's transaction); the
# caller-details view log's INSERT (the answer shows them); the session saved again
# (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release); the write unit around it all
# (core.idempotency.write_unit: savepoint and release). The board's row is read by the
# publisher's thread, not here.
CREATE_QUERIES = 29


@pytest.mark.parametrize("already_logged", [0, 30])
def test_a_create_costs_the_same_queries_however_many_incidents_exist(
    user, already_logged, django_assert_num_queries
):
    escalation_policy(
        {"trigger": Trigger.RESPONSE_ELAPSED, "percent": 50},
        {"trigger": Trigger.RESPONSE_BREACHED},
    )
    for _ in range(already_logged):
        log(actor=user)
    client = APIClient()
    client.force_login(user)

    timeline_lock = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(CREATE_QUERIES - 1 + timeline_lock):
        response = client.post(INCIDENTS, new_call(), format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("linked", [False, True])
def test_the_create_answer_is_what_reading_the_incident_answers(user, linked):
    # given a policy whose "P1 logged" step raises the level in the create's transaction
    escalation_policy({"trigger": Trigger.P1_LOGGED, "action": "raise_level"})
    parent = log(actor=user) if linked else None
    api = client_for(user)
    body = new_call(impact=1, urgency=1, **({"parent": parent.reference} if linked else {}))

    created = api.post(INCIDENTS, body, format="json")

    assert created.status_code == 201
    read = api.get(created["Location"])
    # What the write set in motion is the write's to say (core.idempotency; here, inside
    # the test's transaction, nothing runs after commit): the rest is the incident.
    answer = created.json()
    assert isinstance(answer.pop("pending"), list)
    assert answer == {k: v for k, v in read.json().items() if k != "pending"}
    assert created.json()["escalation_level"] == (0 if linked else 1)
