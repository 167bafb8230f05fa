"""Timer arithmetic with a controlled clock, and the due work that follows the timers."""

from datetime import timedelta

import pytest

from customer_care import services as care
from escalation import services
from escalation.models import EscalationDue, EscalationEvent, Trigger
from incidents import services as incident_services
from incidents.models import ImpactLevel, TimerKind, UrgencyLevel
from tests.factories import deploy, escalation_policy, log, supervisor

pytestmark = pytest.mark.django_db


def response_timer(incident):
    return incident.timers.get(kind=TimerKind.RESPONSE)


def hold(incident, user):
    incident_services.change_status(
        incident_id=incident.pk, actor=user, to_status="on_hold", reason="Waiting for caller"
    )


def resume(incident, user):
    incident_services.change_status(incident_id=incident.pk, actor=user, to_status="in_progress")


def test_on_hold_pauses_the_timers_and_resuming_adds_the_paused_time(reference_data, clock):
    # given a P2 (30 minutes to respond) logged at 09:00
    start = clock.now
    incident = log()
    user = supervisor()
    deploy(incident)

    # when it is on hold from 09:05 to 09:25
    clock.advance(minutes=5)
    hold(incident, user)
    clock.advance(minutes=20)
    resume(incident, user)

    # then the resolution clock owes the 20 minutes on hold
    resolution = incident.timers.get(kind=TimerKind.RESOLUTION)
    assert resolution.paused_at is None
    assert resolution.paused_total == timedelta(minutes=20)
    assert resolution.due_at == start + timedelta(hours=8, minutes=20)


def test_a_step_does_not_fire_while_on_hold_across_its_deadline(reference_data, clock):
    # given a breach step on the resolution target of a P2 (8 hours)
    escalation_policy({"trigger": Trigger.RESOLUTION_BREACHED})
    start = clock.now
    incident = log()
    user = supervisor()
    deploy(incident)

    # when it goes on hold at 1 h and the sweep runs past the original deadline
    clock.advance(hours=1)
    hold(incident, user)
    clock.advance(hours=8)
    fired_while_held = services.sweep(now=clock.now)
    # and it resumes at 9 h: the deadline is now 8 h + 8 h on hold
    resume(incident, user)

    # then nothing fired on hold, and it fires only once the paused time has been added
    assert fired_while_held == 0
    assert services.sweep(now=start + timedelta(hours=16) - timedelta(seconds=1)) == 0
    assert services.sweep(now=start + timedelta(hours=16)) == 1
    assert EscalationEvent.objects.filter(incident=incident).count() == 1


def test_reprioritising_moves_the_due_work_with_the_new_target(reference_data, clock):
    # given 50 % of the response target on a P2 (30 min) → due at 09:15
    escalation_policy({"trigger": Trigger.RESPONSE_ELAPSED, "percent": 50})
    start = clock.now
    incident = log()
    assert EscalationDue.objects.get(incident=incident).due_at == start + timedelta(minutes=15)

    # when a supervisor makes it a P1 (15 min) at 09:02
    clock.advance(minutes=2)
    incident_services.reprioritise(
        incident_id=incident.pk,
        actor=supervisor(),
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        reason="Spreading to the server room",
    )

    # then the step is due at half of 15 minutes, and fires then
    assert EscalationDue.objects.get(incident=incident).due_at == start + timedelta(
        minutes=7, seconds=30
    )
    assert services.sweep(now=start + timedelta(minutes=7)) == 0
    assert services.sweep(now=start + timedelta(minutes=7, seconds=30)) == 1


def test_a_met_response_target_removes_its_due_work(reference_data, clock):
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED})
    incident = log()

    services.acknowledge_incident(
        incident_id=incident.pk, actor=supervisor(), reason="Duty engineer called the caller back"
    )

    assert response_timer(incident).met_at == clock.now
    assert not EscalationDue.objects.filter(incident=incident).exists()
    assert services.sweep(now=clock.now + timedelta(hours=1)) == 0


def test_no_dispatch_fires_n_minutes_after_logging_while_nobody_is_sent(reference_data, clock):
    escalation_policy({"trigger": Trigger.NO_DISPATCH, "minutes": 10})
    start = clock.now
    sent = log(summary="Someone was sent")
    waiting = log(summary="Nobody sent")
    deploy(sent)

    fired = services.sweep(now=start + timedelta(minutes=10))

    assert fired == 1
    assert EscalationEvent.objects.get().incident == waiting


def test_customer_update_overdue_fires_when_the_update_interval_passes(reference_data, clock):
    escalation_policy({"trigger": Trigger.UPDATE_OVERDUE})
    start = clock.now
    incident = log()

    assert services.sweep(now=start + timedelta(minutes=59)) == 0
    assert services.sweep(now=start + timedelta(hours=1)) == 1
    assert EscalationEvent.objects.get(incident=incident).trigger == Trigger.UPDATE_OVERDUE


def test_customer_update_overdue_fires_again_for_each_interval_left_without_an_update(
    reference_data, clock
):
    # given a P2 (update every hour) whose first update was given late
    escalation_policy({"trigger": Trigger.UPDATE_OVERDUE})
    start = clock.now
    incident = log()
    assert services.sweep(now=start + timedelta(hours=1)) == 1
    clock.advance(minutes=70)
    care.give_customer_update(
        incident_id=incident.pk, actor=supervisor(), channel="phone", message="On its way."
    )

    # when the next hour passes without an update, and the sweep runs twice
    assert services.sweep(now=clock.now + timedelta(minutes=59)) == 0
    fired = services.sweep(now=clock.now + timedelta(hours=1))
    again = services.sweep(now=clock.now + timedelta(hours=1))

    # then the step fired once more for the new interval, and only once
    assert (fired, again) == (1, 0)
    assert sorted(
        EscalationEvent.objects.filter(incident=incident).values_list("repetition", flat=True)
    ) == [0, 1]
