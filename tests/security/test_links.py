"""Links that work without a login die with what they were for: a status link when its
dispatch is recalled or cleared, a survey link when its incident is reopened."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from customer_care import services as care
from customer_care.errors import SurveyLinkRefused
from customer_care.models import Satisfaction, SatisfactionLink
from dispatch import links
from dispatch import services as dispatch_services
from tests.factories import agent, log, resolve, resource, send, supervisor

pytestmark = pytest.mark.django_db

PHONE = "+447700900123"


def status_page(client, dispatch):
    return client.get(reverse("dispatch:status-link", args=[links.token_for(dispatch.pk)]))


def test_a_recalled_dispatchs_status_link_no_longer_shows_the_briefing(client, reference_data):
    # given a dispatch whose briefing the link shows (caller contact details are kept out
    # of briefings unless a channel rule shares them: tests/privacy)
    incident = log()
    dispatch = send(incident, resource("FAC-1"), briefing="Ruth waits at gate 4.")
    assert "Ruth waits at gate 4." in status_page(client, dispatch).content.decode()

    # when it is recalled
    dispatch_services.progress_dispatch(
        dispatch_id=dispatch.pk, step="recalled", actor=supervisor(), reason="Not needed"
    )
    response = status_page(client, dispatch)

    # then
    assert response.status_code == 410
    assert "gate 4" not in response.content.decode()
    assert "no longer works" in response.content.decode()


def test_a_cleared_dispatchs_status_link_dies_too(client, reference_data):
    dispatch = send(log(), resource("FAC-1"), briefing=f"Call Ruth on {PHONE}.")
    url = reverse("dispatch:status-link", args=[links.token_for(dispatch.pk)])

    client.post(url, {"step": "on_scene"})
    last_step = client.post(url, {"step": "cleared"})
    later = client.get(url)

    assert "you are marked cleared" in last_step.content.decode()
    assert PHONE not in last_step.content.decode()
    assert later.status_code == 410
    assert PHONE not in later.content.decode()


def resolved_with_survey():
    return resolve(log(caller_email="ruth@example.org"))


def test_reopening_ends_the_survey_link(reference_data):
    incident = resolved_with_survey()
    token = care.survey_token(incident.satisfaction_links.get())

    care.reopen(incident_id=incident.pk, actor=agent(), reason="Leaking again")

    with pytest.raises(SurveyLinkRefused) as refused:
        care.satisfaction_from_link(token=token, score=5)
    assert str(refused.value) == care.REVOKED
    assert not Satisfaction.objects.exists()


def test_resolving_again_makes_one_valid_link_and_the_old_one_stays_dead(reference_data):
    incident = resolved_with_survey()
    old = care.survey_token(incident.satisfaction_links.get())
    care.reopen(incident_id=incident.pk, actor=agent(), reason="Leaking again")
    resolve(incident)

    fresh = incident.satisfaction_links.get(revoked_at__isnull=True)
    care.satisfaction_from_link(token=care.survey_token(fresh), score=4)

    with pytest.raises(SurveyLinkRefused):
        care.satisfaction_from_link(token=old, score=1)
    assert list(Satisfaction.objects.values_list("score", flat=True)) == [4]
    assert incident.satisfaction_links.count() == 2


def test_the_database_holds_one_open_survey_link_per_incident(reference_data):
    incident = resolved_with_survey()

    with pytest.raises(IntegrityError):
        SatisfactionLink.objects.create(
            incident=incident,
            expires_at=timezone.now(),
            sent_to="ruth@example.org",
        )
