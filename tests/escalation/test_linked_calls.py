"""A linked call follows its parent's response and resolution: no escalations of its own
while linked, the parent's deadline on its board row; unlinking restores its own clocks
with the elapsed time kept; its caller is still owed their own updates."""

from datetime import timedelta

import pytest
from django.urls import reverse

from board import rows as board
from escalation import services
from escalation.models import EscalationDue, EscalationEvent, EscalationStep, Trigger
from incidents import services as incident_services
from incidents.models import ImpactLevel, SlaTimer, TimerKind, UrgencyLevel
from tests.factories import agent, escalation_policy, log, supervisor
from tests.incidents.api_support import client_for, detail_url

pytestmark = pytest.mark.django_db

ACK = {"requires_ack": True, "ack_timeout": timedelta(minutes=5), "max_repeats": 2}


@pytest.fixture
def breach_policy(reference_data):
    return escalation_policy(
        {"trigger": Trigger.RESPONSE_BREACHED, "name": "Response breached", **ACK},
        {"trigger": Trigger.UPDATE_OVERDUE, "name": "Update overdue"},
    )


def _link(child, parent):
    return incident_services.link_to_parent(
        incident_id=child.pk, parent_id=parent.pk, actor=agent(), reason="Same leak"
    )


def _timer(incident, kind) -> SlaTimer:
    return SlaTimer.objects.get(incident=incident, kind=kind)


def _due_steps(incident) -> list[str]:
    """The names of the steps with due work for this incident."""
    names = dict(EscalationStep.objects.values_list("pk", "name"))
    return sorted({names[d.step_id] for d in EscalationDue.objects.filter(incident=incident)})


def test_five_callers_about_one_event_raise_one_alarm_chain(breach_policy, clock):
    # given a parent and four more calls about the same event, linked to it
    start = clock.now
    parent = log()
    for _ in range(4):
        _link(log(), parent)

    # when the response target passes with nobody sent
    services.sweep(now=start + timedelta(minutes=30))

    # then only the parent escalates on its response
    fired = EscalationEvent.objects.filter(step_name="Response breached")
    assert list(fired.values_list("incident", flat=True)) == [parent.pk]


def test_linking_stops_the_calls_own_response_and_resolution_but_not_its_updates(
    breach_policy, clock
):
    parent, child = log(), log()

    _link(child, parent)

    assert not _timer(child, TimerKind.RESPONSE).running
    assert not _timer(child, TimerKind.RESOLUTION).running
    assert _timer(child, TimerKind.CUSTOMER_UPDATE).running
    assert _due_steps(child) == ["Update overdue"]


def test_a_call_logged_linked_follows_its_parent_from_the_start(reference_data):
    escalation_policy({"trigger": Trigger.P1_LOGGED, **ACK})
    p1 = {"impact": ImpactLevel.objects.get(rank=1), "urgency": UrgencyLevel.objects.get(rank=1)}
    parent = log(**p1)

    child = log(parent=parent, **p1)

    assert _timer(child, TimerKind.RESPONSE).follows_parent_since is not None
    # the parent's "P1 logged" already raised the alarm for the event
    assert not EscalationEvent.objects.filter(incident=child).exists()
    assert EscalationEvent.objects.filter(incident=parent).count() == 1


def test_linking_closes_the_calls_own_alerts_and_repeats(breach_policy, clock):
    start = clock.now
    parent, child = log(), log()
    services.sweep(now=start + timedelta(minutes=30))  # both breached, both alerting

    clock.now = start + timedelta(minutes=31)
    _link(child, parent)

    alert = EscalationEvent.objects.get(incident=child, step_name="Response breached")
    assert (alert.awaiting_ack, alert.closed_reason) == (False, "linked")
    assert child.events.last().data == {"escalation_event_ids": [alert.pk], "because": "linked"}
    assert services.sweep(now=start + timedelta(minutes=40)) == 1  # the parent's repeat only


def test_unlinking_restores_its_own_clocks_as_if_they_had_run(breach_policy, clock):
    # given a call linked 10 minutes after it was logged, for 30 minutes
    parent, child = log(), log()
    due = _timer(child, TimerKind.RESPONSE).due_at
    clock.advance(minutes=10)
    _link(child, parent)
    clock.advance(minutes=30)
    # while linked its breach fires nothing of its own
    services.sweep(now=clock.now)
    assert not EscalationEvent.objects.filter(incident=child).exists()

    # when it turns out to be a different event
    incident_services.unlink(incident_id=child.pk, actor=agent(), reason="Different flat")

    # then its own response clock runs again, the linked time counted as elapsed
    response = _timer(child, TimerKind.RESPONSE)
    assert response.running and response.due_at == due
    # and its breach, passed while linked, fires on the next sweep
    services.sweep(now=clock.now)
    assert EscalationEvent.objects.filter(incident=child, step_name="Response breached").exists()


def test_a_linked_calls_board_row_shows_its_parents_deadline(breach_policy, clock):
    parent = log()
    clock.advance(minutes=5)
    child = log()
    _link(child, parent)

    row = board.incident_row(child.pk)

    parent_response = _timer(parent, TimerKind.RESPONSE)
    assert row["follows_parent"] == parent.reference
    assert row["deadline"]["kind"] == TimerKind.RESPONSE
    assert row["deadline"]["due_at"] == parent_response.due_at.isoformat()
    assert row["deadline"]["follows"] == parent.reference
    assert row["customer_update"] is not None  # its own caller is still owed updates


def test_the_api_shows_which_timers_follow_the_parent(breach_policy):
    parent, child = log(), log()
    api = client_for(supervisor())

    api.post(
        f"/api/incidents/{child.pk}/link/",
        {"parent": parent.reference, "reason": "Same"},
        format="json",
    )

    body = api.get(detail_url(child)).json()
    following = {t["kind"]: t["follows_parent_since"] is not None for t in body["timers"]}
    assert body["parent"] == parent.reference
    assert following == {"response": True, "resolution": True, "customer_update": False}


def test_the_incident_page_says_the_clock_follows_the_parent(client, breach_policy):
    parent, child = log(), log()
    _link(child, parent)
    client.force_login(agent())

    page = client.get(reverse("incidents:detail", args=[child.pk])).content.decode()

    assert f"Response: follows {parent.reference}" in page
