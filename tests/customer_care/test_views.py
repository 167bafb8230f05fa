"""Customer-care pages: incident page actions, the Mine list, the public survey page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customer_care import services as care
from customer_care.models import Satisfaction, SatisfactionLink
from incidents.models import Incident, SlaTimer
from tests.factories import agent, log, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(reference_data):
    return agent(username="alice")


@pytest.fixture
def agent_client(client, alice):
    client.force_login(alice)
    return client


def act(client, incident, action, **data):
    url = reverse("incidents:action", args=[incident.pk, action])
    return client.post(url, {"version": incident.version, **data}, follow=True)


def make_overdue(incident, minutes=5):
    SlaTimer.objects.filter(incident=incident, kind="customer_update").update(
        due_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_the_incident_page_flags_an_overdue_update(agent_client):
    incident = log()
    make_overdue(incident)

    text = agent_client.get(reverse("incidents:detail", args=[incident.pk])).text

    assert 'id="update-overdue"' in text
    assert "Customer update overdue" in text


def test_recording_an_update_from_the_page_clears_the_flag(agent_client):
    incident = log()
    make_overdue(incident)

    response = act(agent_client, incident, "update-customer", channel="phone", message="Soon")

    assert "Customer update recorded for 1 caller(s)." in response.text
    assert 'id="update-overdue"' not in response.text


def test_resolving_from_the_page_without_notes_says_what_is_missing(agent_client):
    incident = log()

    response = act(agent_client, incident, "resolve", code="fixed", notes="")

    assert "Write the resolution notes" in response.text
    assert Incident.objects.get(pk=incident.pk).status == "logged"


def test_the_status_menu_no_longer_offers_resolved(agent_client):
    incident = log()

    text = agent_client.get(reverse("incidents:detail", args=[incident.pk])).text

    assert '<option value="resolved">' not in text
    assert 'id="resolve"' in text


def test_the_page_offers_close_and_reopen_once_resolved(agent_client):
    incident = resolve(log())

    text = agent_client.get(reverse("incidents:detail", args=[incident.pk])).text

    assert 'id="close"' in text and 'id="reopen"' in text and 'id="satisfaction"' in text
    assert 'id="resolve"' not in text


def test_mine_lists_what_needs_an_update_next_first(agent_client, alice):
    later, overdue, sooner = log(actor=alice), log(actor=alice), log(actor=alice)
    make_overdue(overdue)
    SlaTimer.objects.filter(incident=later, kind="customer_update").update(
        due_at=timezone.now() + timedelta(hours=3)
    )
    SlaTimer.objects.filter(incident=sooner, kind="customer_update").update(
        due_at=timezone.now() + timedelta(minutes=10)
    )
    service_request = log(actor=alice, record_type="service_request", location="")

    response = agent_client.get(reverse("incidents:list") + "?view=mine")

    rows = [i.pk for i in response.context["page"]]
    assert rows == [overdue.pk, sooner.pk, later.pk, service_request.pk]
    assert 'class="update-due overdue"' in response.text


def survey_url(incident) -> str:
    return reverse("satisfaction", args=[care.survey_token(incident.satisfaction_links.get())])


def test_the_customer_answers_the_survey_without_logging_in(client, reference_data):
    incident = resolve(log(caller_email="ruth@example.org"))
    url = survey_url(incident)

    assert client.get(url).status_code == 200
    response = client.post(url, {"score": "4", "comment": "<b>Good</b>"})

    assert "Your answer is recorded" in response.text
    assert Satisfaction.objects.get().score == 4


def test_a_reused_survey_link_gets_a_clear_message(client, reference_data):
    url = survey_url(resolve(log(caller_email="ruth@example.org")))
    client.post(url, {"score": "4"})

    response = client.get(url)

    assert response.status_code == 400
    assert "each link can be used once" in response.text


@pytest.mark.parametrize(
    "token", ["garbage", "x" * 500, "eyJsaW5rIjoxfQ:1tYZ:abc", "%00", "a:b:c:d"]
)
def test_a_tampered_survey_link_gets_a_clear_message_never_a_500(client, token):
    response = client.get(f"/satisfaction/{token}/")

    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "not valid" in response.text


def test_an_expired_survey_link_gets_a_clear_message(client, reference_data):
    incident = resolve(log(caller_email="ruth@example.org"))
    url = survey_url(incident)
    SatisfactionLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(url, {"score": "5"})

    assert response.status_code == 400
    assert "expired" in response.text
    assert not Satisfaction.objects.exists()


def test_a_survey_answer_without_a_score_asks_for_one(client, reference_data):
    url = survey_url(resolve(log(caller_email="ruth@example.org")))

    response = client.post(url, {"score": "9"})

    assert response.status_code == 400
    assert not Satisfaction.objects.exists()


def test_mine_costs_the_same_queries_for_5_or_50_incidents(
    agent_client, alice, django_assert_max_num_queries
):
    for _ in range(5):
        log(actor=alice)
    with django_assert_max_num_queries(12) as few:
        agent_client.get(reverse("incidents:list") + "?view=mine")
    for _ in range(45):
        log(actor=alice)
    with django_assert_max_num_queries(len(few)):
        agent_client.get(reverse("incidents:list") + "?view=mine")
