"""The lifecycle table (incidents/lifecycle.py) and the rules the services take from it:
a status change never meets the response clock, a move to Dispatched or In progress needs an
active dispatch, cancelling a P1/P2 needs a supervisor and a reason of substance, and the
clocks start when the contact was received."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from core.errors import Invalid, InvalidTransition, NotPermitted
from escalation.models import EscalationDue, Trigger
from incidents import lifecycle, services
from incidents.lifecycle import Status
from incidents.models import EventKind, ImpactLevel, Incident, TimerKind, UrgencyLevel
from tests.factories import (
    acknowledge,
    agent,
    escalation_policy,
    log,
    minor,
    on_dispatch,
    resource,
    send,
    supervisor,
)
from tests.incidents.api_support import INCIDENTS, action_url, client_for, new_call

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def response_timer(incident):
    return incident.timers.get(kind=TimerKind.RESPONSE)


def p1(**overrides):
    return log(impact=ImpactLevel.objects.get(rank=1), urgency=UrgencyLevel.objects.get(rank=1))


# --- The table itself ---


def test_the_table_allows_the_same_moves_as_before():
    # The lifecycle of product.md: no jumping from logged to closed.
    assert lifecycle.TRANSITIONS[Status.LOGGED] == {
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.ON_HOLD,
        Status.RESOLVED,
        Status.CANCELLED,
    }
    assert lifecycle.TRANSITIONS[Status.RESOLVED] == {Status.CLOSED, Status.REOPENED}
    assert lifecycle.TRANSITIONS[Status.CLOSED] == {Status.REOPENED}
    assert lifecycle.TRANSITIONS[Status.CANCELLED] == frozenset()


def test_no_move_meets_the_response_clock_alone():
    for status in (Status.DISPATCHED, Status.IN_PROGRESS):
        assert lifecycle.MOVES[status].meets == ()
        assert lifecycle.MOVES[status].needs_active_dispatch


def test_a_reason_of_substance_has_two_words_and_ten_characters():
    assert not lifecycle.is_substantial("x")
    assert not lifecycle.is_substantial("duplicates")  # one word
    assert not lifecycle.is_substantial("Hoax call")  # nine characters
    assert lifecycle.is_substantial("Duplicate of INC-000012")


def test_the_architecture_doc_shows_the_table_as_the_code_has_it():
    doc = (REPO / "docs" / "architecture.md").read_text()

    assert lifecycle.render_table() in doc


# --- Finding 1: a status change alone never meets the response clock ---


def test_dispatched_without_an_active_dispatch_is_refused_with_409_and_the_reason(
    reference_data,
):
    # given a P2 with a response step waiting
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED})
    incident = log()
    api = client_for(agent())

    # when an agent marks it dispatched with nobody deployed
    answer = api.post(action_url(incident, "status"), {"status": "dispatched"}, format="json")

    # then it is refused, and the clock and its escalation are untouched
    assert answer.status_code == 409
    assert "no resource on an active dispatch" in answer.json()["detail"]
    assert api.get(f"{INCIDENTS}{incident.pk}/dispatches/").json() == []
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED
    assert response_timer(incident).met_at is None
    assert EscalationDue.objects.filter(incident=incident).exists()


def test_in_progress_without_an_active_dispatch_is_refused_with_409(reference_data):
    incident = log()

    answer = client_for(agent()).post(
        action_url(incident, "status"), {"status": "in_progress"}, format="json"
    )

    assert answer.status_code == 409
    assert "Dispatch a resource first" in answer.json()["detail"]


def test_the_page_refuses_dispatched_without_a_resource_and_says_why(reference_data, client):
    incident = log()
    client.force_login(agent())

    page = client.post(
        reverse("incidents:action", args=[incident.pk, "status"]),
        {"version": incident.version, "status": "dispatched"},
        follow=True,
    )

    assert "no resource on an active dispatch" in page.text
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED
    assert response_timer(incident).met_at is None


def test_a_status_change_with_a_resource_deployed_still_leaves_the_response_running(
    reference_data,
):
    incident = log()
    on_dispatch(incident)

    services.change_status(incident_id=incident.pk, actor=agent(), to_status=Status.IN_PROGRESS)

    assert response_timer(incident).met_at is None


def test_a_dispatch_alone_leaves_the_response_clock_running(reference_data):
    incident = log()

    send(incident, resource("FAC-1"))

    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED
    assert response_timer(incident).met_at is None
    assert not incident.events.filter(kind=EventKind.RESPONSE_MET).exists()


def test_the_first_acknowledged_dispatch_meets_the_response_clock_once(reference_data, clock):
    incident = log()
    first = send(incident, resource("FAC-1"))
    second = send(incident, resource("FAC-2"))
    clock.advance(minutes=3)

    acknowledge(first)
    clock.advance(minutes=2)
    acknowledge(second)

    assert response_timer(incident).met_at == clock.now - timedelta(minutes=2)
    [met] = incident.events.filter(kind=EventKind.RESPONSE_MET)
    assert met.data == {"how": "acknowledged_dispatch", "dispatch_id": first.pk, "message_id": None}


def test_acknowledged_by_the_resource_through_its_status_link_meets_the_response(
    reference_data,
):
    from dispatch import services as dispatch_services

    incident = log()
    dispatch = send(incident, resource("FAC-1"))

    dispatch_services.progress_dispatch(
        dispatch_id=dispatch.pk, step="acknowledged", actor=None, via="status link"
    )

    assert response_timer(incident).met_at is not None
    met = incident.events.get(kind=EventKind.RESPONSE_MET)
    assert met.actor is None and met.data["how"] == "acknowledged_dispatch"


def test_a_voice_briefing_confirmed_by_the_dispatcher_meets_the_response(reference_data):
    incident = log()

    dispatch = send(incident, resource("FAC-1"), channel="radio", briefed_by_voice=True)

    met = incident.events.get(kind=EventKind.RESPONSE_MET)
    message = dispatch.messages.get()
    assert met.data == {
        "how": "voice_briefing",
        "dispatch_id": dispatch.pk,
        "message_id": message.pk,
    }
    assert response_timer(incident).met_at is not None


def test_a_response_by_other_means_needs_a_reason_and_records_it(reference_data):
    incident = log()
    api = client_for(supervisor())
    url = f"/api/incidents/{incident.pk}/acknowledge/"

    without = api.post(url, {}, format="json")
    given = api.post(url, {"reason": "Called back by the duty engineer"}, format="json")

    assert without.status_code == 400 and "reason" in without.json()
    assert given.status_code == 200
    met = incident.events.get(kind=EventKind.RESPONSE_MET)
    assert met.data == {"how": "other_means", "dispatch_id": None, "message_id": None}
    assert met.rationale == "Called back by the duty engineer"


def test_an_agent_may_not_record_a_response_by_other_means(reference_data):
    incident = log()

    with pytest.raises(NotPermitted):
        services.record_response(
            incident_id=incident.pk, actor=agent(), how="other_means", reason="I called them"
        )


# --- Finding 6: the clocks start when the contact was received ---


def test_the_clocks_start_at_received_at_not_at_logging(reference_data, clock):
    received = clock.now - timedelta(minutes=20)

    incident = log(received_at=received)

    assert response_timer(incident).started_at == received
    assert response_timer(incident).due_at == received + timedelta(minutes=30)


def test_a_received_at_in_the_future_is_a_400(reference_data, clock):
    future = (clock.now + timedelta(minutes=10)).isoformat()

    answer = client_for(agent()).post(INCIDENTS, new_call(received_at=future), format="json")

    assert answer.status_code == 400
    assert answer.json()["received_at"] == ["The contact cannot have been received in the future."]


def test_a_little_clock_skew_is_tolerated(reference_data, clock):
    nearly_now = (clock.now + timedelta(minutes=1)).isoformat()

    answer = client_for(agent()).post(INCIDENTS, new_call(received_at=nearly_now), format="json")

    assert answer.status_code == 201


def test_a_contact_received_long_ago_needs_a_reason_recorded_on_the_logged_event(
    reference_data, clock
):
    api = client_for(agent())
    late = (clock.now - timedelta(minutes=40)).isoformat()

    refused = api.post(INCIDENTS, new_call(received_at=late), format="json")
    logged = api.post(
        INCIDENTS,
        new_call(received_at=late, received_at_reason="Email read after the night shift"),
        format="json",
    )

    assert refused.status_code == 400
    assert "more than 30 minutes ago" in refused.json()["received_at_reason"][0]
    assert logged.status_code == 201
    event = Incident.objects.get(pk=logged.json()["id"]).events.get(kind=EventKind.LOGGED)
    assert event.data["received_at_reason"] == "Email read after the night shift"
    assert event.data["received_at"] == (clock.now - timedelta(minutes=40)).isoformat()


def test_the_reason_limit_is_a_setting(reference_data, clock, settings):
    settings.RECEIVED_AT_REASON_AFTER_MINUTES = 60

    incident = log(received_at=clock.now - timedelta(minutes=40))

    assert incident.received_at == clock.now - timedelta(minutes=40)


def test_the_new_incident_form_defaults_received_at_to_now_in_the_centres_time(
    reference_data, client, clock
):
    client.force_login(agent())

    page = client.get(reverse("incidents:new"))

    assert 'type="datetime-local"' in page.text
    local = clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    assert f'value="{local:%Y-%m-%dT%H:%M:%S}"' in page.text


def test_the_new_incident_form_refuses_an_old_contact_without_a_reason(
    reference_data, client, clock
):
    from incidents.models import Category

    client.force_login(agent())
    old = clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")) - timedelta(
        hours=2
    )
    form = {
        "record_type": "incident",
        "contact_channel": "email",
        "received_at": f"{old:%Y-%m-%dT%H:%M:%S}",
        "caller_name": "Ruth Okafor",
        "caller_email": "ruth@example.org",
        "category": Category.objects.get(slug="water-leak").pk,
        "location": "Block B",
        "summary": "Leak reported by email overnight",
        "impact": ImpactLevel.objects.get(rank=2).pk,
        "urgency": UrgencyLevel.objects.get(rank=1).pk,
        "idempotency_key": "k1",
    }

    refused = client.post(reverse("incidents:new"), form)
    accepted = client.post(
        reverse("incidents:new"),
        {**form, "idempotency_key": "k2", "received_at_reason": "Mailbox read at 08:00"},
    )

    assert refused.status_code == 400
    assert "say why it is logged only now" in refused.text
    assert accepted.status_code == 302
    incident = Incident.objects.get()
    assert response_timer(incident).started_at == old.replace(microsecond=0)


# --- Finding 7: cancelling a P1 or P2 is a supervisor's call, with a reason of substance ---


def test_an_agent_cannot_cancel_a_p1_and_is_told_why(reference_data):
    incident = p1()

    answer = client_for(agent()).post(
        action_url(incident, "status"),
        {"status": "cancelled", "reason": "Hoax call from a known number"},
        format="json",
    )

    assert answer.status_code == 403
    assert "only a supervisor may mark it cancelled" in answer.json()["detail"]
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED
    assert response_timer(incident).met_at is None


def test_a_one_character_reason_does_not_cancel_a_p2_even_for_a_supervisor(reference_data):
    incident = log()

    answer = client_for(supervisor()).post(
        action_url(incident, "status"), {"status": "cancelled", "reason": "x"}, format="json"
    )

    assert answer.status_code == 400
    assert "at least 2 words" in answer.json()["reason"][0]
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED


def test_a_supervisor_cancels_a_p2_with_a_reason_of_substance(reference_data):
    incident = log()

    answer = client_for(supervisor()).post(
        action_url(incident, "status"),
        {"status": "cancelled", "reason": "Duplicate of the call from Block B"},
        format="json",
    )

    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"


def test_an_agent_still_cancels_a_p3_with_a_short_reason(reference_data):
    incident = minor()

    services.change_status(
        incident_id=incident.pk, actor=agent(), to_status=Status.CANCELLED, reason="dup"
    )

    assert Incident.objects.get(pk=incident.pk).status == Status.CANCELLED


def test_the_page_refuses_an_agents_p1_cancel_with_the_reason(reference_data, client):
    incident = p1()
    client.force_login(agent())

    page = client.post(
        reverse("incidents:action", args=[incident.pk, "status"]),
        {"version": incident.version, "status": "cancelled", "reason": "x"},
        follow=True,
    )

    assert "only a supervisor may mark it cancelled" in page.text
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED


def test_supervisors_hold_the_cancel_major_permission_and_agents_do_not(reference_data):
    assert supervisor().has_perm(lifecycle.CANCEL_MAJOR)
    assert not agent().has_perm(lifecycle.CANCEL_MAJOR)


def test_the_system_cannot_cancel_a_major_incident(reference_data):
    incident = log()

    with pytest.raises(NotPermitted):
        services.change_status(
            incident_id=incident.pk,
            actor=None,
            to_status=Status.CANCELLED,
            reason="Automatic clean-up of old calls",
        )


def test_refusals_are_the_named_domain_errors(reference_data):
    incident = log()

    with pytest.raises(InvalidTransition):
        services.change_status(incident_id=incident.pk, actor=agent(), to_status="dispatched")
    with pytest.raises(Invalid):
        services.change_status(
            incident_id=incident.pk, actor=supervisor(), to_status="cancelled", reason="dup"
        )


def test_the_page_records_a_response_by_other_means_only_with_a_reason(reference_data, client):
    incident = log()
    client.force_login(supervisor())
    url = reverse("escalation:action", args=[incident.pk, "acknowledge-incident"])

    refused = client.post(url, {"reason": ""}, follow=True)
    assert "Say how the response was given" in refused.text
    assert response_timer(incident).met_at is None

    done = client.post(url, {"reason": "Caller rang back: caretaker fixed it"}, follow=True)
    assert "response target met" in done.text
    assert response_timer(incident).met_at is not None
