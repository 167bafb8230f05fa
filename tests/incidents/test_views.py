import pytest
from django.urls import reverse

from incidents.models import Category, ImpactLevel, Incident, UrgencyLevel
from tests.factories import agent, log, on_dispatch, supervisor

pytestmark = pytest.mark.django_db

NEW = reverse("incidents:new")


@pytest.fixture
def agent_client(client, reference_data):
    client.force_login(agent(username="alice"))
    return client


def form_data(**overrides):
    data = {
        "record_type": "incident",
        "contact_channel": "phone",
        "caller_name": "Ruth Okafor",
        "caller_phone": "07700 900123",
        "category": Category.objects.get(slug="water-leak").pk,
        "location": "Block B, 2nd floor kitchen",
        "summary": "Water through the ceiling",
        "asset_refs": "PIPE-B2-07, VALVE-9",
        "impact": ImpactLevel.objects.get(rank=2).pk,
        "urgency": UrgencyLevel.objects.get(rank=1).pk,
        "details_confirmed": "on",
        "idempotency_key": "form-key-1",
    }
    data.update(overrides)
    return data


def test_pages_need_a_login(client):
    response = client.get(reverse("incidents:list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_logging_an_incident_shows_the_reference_to_read_back(agent_client):
    response = agent_client.post(NEW, form_data(), follow=True)

    incident = Incident.objects.get()
    assert incident.priority.code == "P2"
    assert incident.asset_refs == ["PIPE-B2-07", "VALVE-9"]
    assert incident.details_confirmed
    assert "Read this reference to the caller" in response.text
    assert incident.reference in response.text


def test_every_missing_field_is_named_on_the_form(agent_client):
    response = agent_client.post(NEW, {"record_type": "incident", "idempotency_key": "k"})

    assert response.status_code == 400
    for label in ("Contacted us by", "Caller name", "Exact location", "Category", "Summary"):
        assert label in response.text
    assert "Enter the exact location of the incident." in response.text
    assert not Incident.objects.exists()


def test_a_double_submit_creates_one_incident(agent_client):
    agent_client.post(NEW, form_data())
    agent_client.post(NEW, form_data())

    assert Incident.objects.count() == 1


def test_assist_previews_priority_guidance_and_duplicates(agent_client):
    first = log(location="Block B, 2nd floor kitchen")
    data = form_data()

    response = agent_client.get(
        reverse("incidents:assist"),
        {k: data[k] for k in ("category", "location", "impact", "urgency")},
    )

    assert "P2" in response.text and "High" in response.text
    assert "Is it near electrics?" in response.text
    assert f"Link this call to {first.reference}" in response.text


def test_a_linked_call_is_saved_under_its_parent(agent_client):
    first = log()

    agent_client.post(NEW, form_data(parent=first.pk))

    assert Incident.objects.exclude(pk=first.pk).get().parent == first


def test_user_text_is_escaped(agent_client):
    incident = log(summary="<script>alert(1)</script>")

    for url in (reverse("incidents:list"), reverse("incidents:detail", args=[incident.pk])):
        text = agent_client.get(url).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_list_costs_the_same_queries_for_5_or_50_incidents(
    agent_client, django_assert_max_num_queries
):
    for _ in range(5):
        log()
    with django_assert_max_num_queries(10) as few:
        agent_client.get(reverse("incidents:list"))
    for _ in range(45):
        log()
    with django_assert_max_num_queries(len(few)):
        agent_client.get(reverse("incidents:list"))


def test_a_stale_status_change_is_refused_not_overwritten(agent_client):
    incident = log()
    on_dispatch(incident)
    url = reverse("incidents:action", args=[incident.pk, "status"])
    agent_client.post(url, {"version": 1, "status": "in_progress"})

    response = agent_client.post(
        url, {"version": 1, "status": "cancelled", "reason": "dup"}, follow=True
    )

    incident.refresh_from_db()
    assert incident.status == "in_progress"
    assert "changed by someone else" in response.text


def test_an_agent_cannot_reprioritise(agent_client):
    incident = log()

    response = agent_client.post(
        reverse("incidents:action", args=[incident.pk, "reprioritise"]),
        {"version": 1, "impact": incident.impact.pk, "urgency": incident.urgency.pk, "reason": "x"},
    )

    assert response.status_code == 403


def test_a_supervisor_reprioritises_with_a_reason(client, reference_data):
    client.force_login(supervisor())
    incident = log()

    client.post(
        reverse("incidents:action", args=[incident.pk, "reprioritise"]),
        {
            "version": 1,
            "impact": ImpactLevel.objects.get(rank=1).pk,
            "urgency": UrgencyLevel.objects.get(rank=1).pk,
            "reason": "Reaching the switch room",
        },
    )

    incident.refresh_from_db()
    assert incident.priority.code == "P1"


def test_unknown_incident_is_a_404_page(agent_client):
    assert agent_client.get("/incidents/999999/").status_code == 404
    assert agent_client.post("/incidents/999999/status/", {"version": 1}).status_code == 404


def test_the_status_menu_offers_only_allowed_moves_by_name(agent_client):
    incident = log()

    text = agent_client.get(reverse("incidents:detail", args=[incident.pk])).text

    assert '<option value="in_progress">In progress</option>' in text
    assert 'value="closed"' not in text
