"""Escalation services: event triggers, acknowledgement, repeats, levels, snapshots."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from core.errors import Invalid, InvalidTransition
from customer_care import services as care
from escalation import services
from escalation.errors import NothingToAcknowledge
from escalation.models import (
    Action,
    Channel,
    Escalation,
    EscalationDue,
    EscalationEvent,
    Level,
    Trigger,
)
from incidents.models import EventKind, ImpactLevel, UrgencyLevel
from tests.factories import UserFactory, agent, escalation_policy, log, resolve, supervisor
from tests.messaging.outbox import drain

pytestmark = pytest.mark.django_db

ACK = {"requires_ack": True, "ack_timeout": timedelta(minutes=5), "max_repeats": 2}


def log_p1(**overrides):
    return log(impact=ImpactLevel.objects.get(rank=1), urgency=UrgencyLevel.objects.get(rank=1))


def kinds(incident) -> list[str]:
    return list(incident.events.values_list("kind", flat=True))


def test_a_p1_logged_step_fires_at_log_time_and_lands_on_the_timeline(reference_data):
    escalation_policy({"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", **ACK})

    incident = log_p1()

    event = EscalationEvent.objects.get(incident=incident)
    assert (event.step_name, event.repetition, event.awaiting_ack) == (
        "Tell the duty manager",
        0,
        True,
    )
    assert kinds(incident) == [EventKind.LOGGED, EventKind.ESCALATION_FIRED]
    assert incident.events.last().data["needs_ack"] is True


def test_a_p2_does_not_fire_the_p1_step(reference_data):
    escalation_policy({"trigger": Trigger.P1_LOGGED})

    incident = log()

    assert not EscalationEvent.objects.filter(incident=incident).exists()


def test_each_reopening_fires_the_reopened_step_again(reference_data):
    escalation_policy({"trigger": Trigger.REOPENED})
    incident = log()
    user = supervisor()
    for _ in range(2):
        resolve(incident, user)
        care.reopen(incident_id=incident.pk, actor=user, reason="Leaking again")

    repetitions = EscalationEvent.objects.filter(incident=incident).values_list(
        "repetition", flat=True
    )
    assert sorted(repetitions) == [0, 1]


def test_a_policy_applies_only_to_its_priorities_and_categories(reference_data):
    from incidents.models import Category, Priority

    escalation_policy(
        {"trigger": Trigger.RESPONSE_BREACHED},
        priorities=[Priority.objects.get(code="P1")],
        categories=[Category.objects.get(slug="water-leak")],
    )

    p2_leak = log()
    p1_leak = log_p1()

    assert Escalation.objects.get(incident=p2_leak).policy is None
    assert Escalation.objects.get(incident=p1_leak).policy is not None


def test_an_unacknowledged_step_repeats_then_moves_up_a_level(reference_data, clock):
    # given a breach step that needs acknowledgement within 5 minutes, repeated twice
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED, **ACK})
    start = clock.now
    incident = log()  # P2: 30 minutes to respond

    # when nobody acknowledges for 30 + 5 + 5 + 5 minutes
    for minutes in (30, 35, 40, 45):
        services.sweep(now=start + timedelta(minutes=minutes))

    # then it fired, repeated twice, then moved the incident up to supervisor
    events = EscalationEvent.objects.filter(incident=incident).order_by("repetition")
    assert [(e.repetition, e.action) for e in events] == [
        (0, Action.NOTIFY),
        (1, Action.NOTIFY),
        (2, Action.NOTIFY),
        (3, Action.RAISE_LEVEL),
    ]
    assert Escalation.objects.get(incident=incident).level == Level.SUPERVISOR
    assert events.last().recipients == {"group": "Supervisor"}
    # and only the latest firing waits on the list
    assert list(events.filter(awaiting_ack=True).values_list("repetition", flat=True)) == [3]


def test_acknowledging_stops_the_repeats(reference_data, clock):
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED, **ACK})
    start = clock.now
    incident = log()
    services.sweep(now=start + timedelta(minutes=30))

    services.acknowledge_escalations(incident_id=incident.pk, actor=supervisor())

    assert services.sweep(now=start + timedelta(hours=2)) == 0
    event = EscalationEvent.objects.get(incident=incident)
    assert event.acknowledged_at is not None and not event.awaiting_ack
    assert not EscalationDue.objects.filter(incident=incident).exists()
    assert kinds(incident)[-1] == EventKind.ESCALATION_ACKNOWLEDGED


def test_acknowledging_with_nothing_waiting_is_refused(reference_data):
    incident = log()

    with pytest.raises(NothingToAcknowledge):
        services.acknowledge_escalations(incident_id=incident.pk, actor=supervisor())


def test_a_manual_escalation_needs_a_reason(reference_data):
    incident = log()

    with pytest.raises(Invalid):
        services.escalate_manually(incident_id=incident.pk, actor=agent(), reason="  ")


def test_a_manual_escalation_moves_up_a_level_and_fires_manual_steps(reference_data):
    escalation_policy({"trigger": Trigger.MANUAL, "name": "Tell supervisors"})
    incident = log()

    services.escalate_manually(
        incident_id=incident.pk, actor=agent(), reason="Caller threatening legal action"
    )

    assert Escalation.objects.get(incident=incident).level == Level.SUPERVISOR
    steps = EscalationEvent.objects.filter(incident=incident).values_list("step_name", flat=True)
    assert sorted(steps) == ["Manual escalation", "Tell supervisors"]
    assert EventKind.ESCALATED_MANUALLY in kinds(incident)


def test_a_manual_escalation_to_a_specialist_team_keeps_the_level(reference_data):
    Group.objects.create(name="Hazmat")
    incident = log()

    services.escalate_manually(
        incident_id=incident.pk, actor=agent(), reason="Asbestos suspected", team="Hazmat"
    )

    running = Escalation.objects.get(incident=incident)
    assert (running.level, running.team) == (Level.AGENT, "Hazmat")


def test_escalating_past_head_of_operations_is_refused(reference_data):
    incident = log()
    Escalation.objects.filter(incident=incident).update(level=Level.HEAD_OF_OPERATIONS)

    with pytest.raises(InvalidTransition):
        services.escalate_manually(incident_id=incident.pk, actor=agent(), reason="Still bad")


def test_editing_a_policy_leaves_running_escalations_on_their_snapshot(reference_data, clock):
    # given an incident that entered a policy whose step fires at 50 %
    policy = escalation_policy({"trigger": Trigger.RESPONSE_ELAPSED, "percent": 50})
    start = clock.now
    incident = log()

    # when an admin changes the step to 90 %
    policy.steps.update(percent=90)

    # then the running escalation still fires at 50 %
    assert EscalationDue.objects.get(incident=incident).due_at == start + timedelta(minutes=15)


def test_reapplying_the_policy_follows_the_edit_and_is_recorded(reference_data, clock):
    policy = escalation_policy({"trigger": Trigger.RESPONSE_ELAPSED, "percent": 50})
    start = clock.now
    incident = log()
    policy.steps.update(percent=90)

    services.reapply_policy(incident_id=incident.pk, actor=supervisor(), reason="New procedure")

    assert EscalationDue.objects.get(incident=incident).due_at == start + timedelta(minutes=27)
    reapplied = incident.events.last()
    assert (reapplied.kind, reapplied.rationale) == (EventKind.POLICY_REAPPLIED, "New procedure")


def test_reapplying_does_not_fire_a_step_that_already_fired(reference_data, clock):
    escalation_policy({"trigger": Trigger.RESPONSE_ELAPSED, "percent": 50})
    start = clock.now
    incident = log()
    services.sweep(now=start + timedelta(minutes=15))

    services.reapply_policy(incident_id=incident.pk, actor=supervisor())

    assert services.sweep(now=start + timedelta(hours=1)) == 0
    assert EscalationEvent.objects.filter(incident=incident).count() == 1


def test_a_raise_priority_step_goes_through_the_incident_service(reference_data, clock):
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED, "action": Action.RAISE_PRIORITY})
    start = clock.now
    incident = log()  # P2

    services.sweep(now=start + timedelta(minutes=30))

    incident.refresh_from_db()
    assert incident.priority.code == "P1"
    raised = incident.events.get(kind=EventKind.REPRIORITISED)
    assert raised.data["by_escalation"] is True and raised.data["to_priority"] == "P1"


def test_a_specialist_step_hands_the_incident_to_the_team(reference_data, clock):
    escalation_policy(
        {"trigger": Trigger.RESPONSE_BREACHED, "action": Action.SPECIALIST, "team": "Plumbing"}
    )
    start = clock.now
    incident = log()

    services.sweep(now=start + timedelta(minutes=30))

    assert Escalation.objects.get(incident=incident).team == "Plumbing"


def test_the_email_goes_to_the_steps_group(reference_data):
    duty = Group.objects.create(name="Duty manager")
    UserFactory(username="dm", email="dm@example.org").groups.add(duty)
    UserFactory(username="other", email="other@example.org")
    escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "channel": Channel.EMAIL, "notify_group": duty}
    )
    incident = log_p1()
    event = EscalationEvent.objects.get(incident=incident)

    # the firing put one email per person in the outbox; a worker sends it
    (message,) = event.messages.all()
    sent = len([drain(message.pk)])

    assert sent == 1
    assert mail.outbox[0].to == ["dm@example.org"]
    assert incident.reference in mail.outbox[0].subject


def test_a_service_request_enters_no_policy(reference_data):
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED})

    request = log(record_type="service_request")

    assert not Escalation.objects.filter(incident=request).exists()


def test_a_resolved_incident_is_no_longer_chased_for_acknowledgement(reference_data, clock):
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED, **ACK})
    start = clock.now
    incident = log()
    services.sweep(now=start + timedelta(minutes=30))

    resolve(incident, supervisor())

    assert services.sweep(now=start + timedelta(hours=1)) == 0
    assert EscalationEvent.objects.filter(incident=incident).count() == 1
