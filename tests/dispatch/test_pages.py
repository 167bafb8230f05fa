"""The incident page's dispatch sections and the resource's status-link page."""

import time
from unittest import mock

import pytest
from django.urls import reverse

from dispatch import links
from dispatch.models import Dispatch, DispatchStatus
from incidents.models import EventKind
from tests.factories import agent, log, resolve, resource, send, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reference_data):
    return log()


def test_the_supervisor_sees_recommendations_with_reasons_and_a_prefilled_form(client, incident):
    resource("FAC-1", contacts={"sms": "07700 900201", "radio": "FAC-1"})
    resource("FAC-3", verified=False)
    client.force_login(supervisor())

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert "Dispatch a resource" in page
    assert "1. FAC-1" in page
    assert "skilled for Water leak or flood" in page
    assert "FAC-3 has no identity and authority check on record." in page
    assert '<option value="radio" selected>' in page  # the P2 water-leak default: radio first
    assert f"{incident.reference} · P2 High · Water leak or flood" in page


def test_an_agent_sees_the_dispatches_but_no_dispatch_form(client, incident):
    send(incident, resource("FAC-1"))
    client.force_login(agent())

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert "Resources on this incident" in page
    assert "FAC-1" in page
    assert "Dispatch a resource" not in page


def test_a_resolved_incident_offers_no_dispatch_or_broadcast(client, incident):
    resource("FAC-1")
    resolve(incident)
    client.force_login(supervisor())

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert "Dispatch a resource" not in page
    assert "Broadcast to a group" not in page


def test_dispatching_from_the_page_says_what_happened(client, incident):
    plumber = resource("FAC-1")
    client.force_login(supervisor())

    response = client.post(
        reverse("dispatch:create", args=[incident.pk]),
        {"resource": plumber.pk, "channel": "radio", "briefing": "Go", "briefed_by_voice": "on"},
        follow=True,
    )

    assert "FAC-1 Resource FAC-1 dispatched by radio." in response.content.decode()
    assert Dispatch.objects.get().messages.get().status == "confirmed"


def test_a_refused_dispatch_is_shown_as_form_messages(client, incident):
    porter = resource("FAC-3", verified=False)
    client.force_login(supervisor())

    response = client.post(
        reverse("dispatch:create", args=[incident.pk]),
        {"resource": porter.pk, "channel": "radio", "briefing": "Go"},
        follow=True,
    )

    page = response.content.decode()
    assert "FAC-3 has no identity and authority check on record." in page
    assert "A supervisor may override with a written reason." in page
    assert not Dispatch.objects.exists()


def test_an_agent_may_not_dispatch(client, incident):
    plumber = resource("FAC-1")
    client.force_login(agent())

    response = client.post(
        reverse("dispatch:create", args=[incident.pk]),
        {"resource": plumber.pk, "channel": "radio", "briefing": "Go"},
    )

    assert response.status_code == 403


def test_the_status_link_shows_the_job_and_records_the_resources_step(client, incident):
    dispatch = send(incident, resource("FAC-1"))
    url = reverse("dispatch:status-link", args=[links.token_for(dispatch.pk)])

    shown = client.get(url)
    stepped = client.post(url, {"step": "acknowledged"})

    assert shown.status_code == 200
    assert incident.summary in shown.content.decode()
    assert "you are marked acknowledged" in stepped.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.ACKNOWLEDGED
    event = incident.events.filter(kind=EventKind.DISPATCH_PROGRESS).get()
    assert event.actor is None
    assert event.data["via"] == "status_link"


def test_an_expired_status_link_says_so(client, incident):
    dispatch = send(incident, resource("FAC-1"))
    thirteen_hours_ago = time.time() - 13 * 3600
    with mock.patch("django.core.signing.time.time", return_value=thirteen_hours_ago):
        token = links.token_for(dispatch.pk)

    response = client.post(reverse("dispatch:status-link", args=[token]), {"step": "on_scene"})

    assert response.status_code == 400
    assert "This status link has expired." in response.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.DISPATCHED


def test_a_tampered_status_link_is_refused(client, incident):
    mine = send(incident, resource("FAC-1"))
    send(log(summary="Other"), resource("FAC-2"))
    _value, signature = links.token_for(mine.pk).split(":", 1)
    forged = f"{mine.pk + 1}:{signature}"

    response = client.post(reverse("dispatch:status-link", args=[forged]), {"step": "on_scene"})

    assert response.status_code == 400
    assert "This status link is not valid." in response.content.decode()
    assert not Dispatch.objects.filter(status=DispatchStatus.ON_SCENE).exists()


def test_a_status_link_for_a_finished_job_offers_nothing_more(client, incident):
    dispatch = send(incident, resource("FAC-1"))
    url = reverse("dispatch:status-link", args=[links.token_for(dispatch.pk)])
    for step in ("on_scene", "cleared"):
        client.post(url, {"step": step})

    response = client.post(url, {"step": "en_route"})

    assert response.status_code == 410
    assert "This job is finished" in response.content.decode()
