"""The typed policy snapshot: read tolerantly, written with a version, used by the engine."""

from datetime import timedelta

import pytest

from escalation import services
from escalation.models import Action, Escalation, EscalationEvent, Level, Trigger
from escalation.snapshot import SNAPSHOT_VERSION, PolicySnapshot, StepSnapshot
from tests.factories import escalation_policy, log

pytestmark = pytest.mark.django_db

# A snapshot exactly as the previous code (issue 5) stored it: no version, raw step keys.
PREVIOUS_SHAPE_STEP = {
    "id": 9001,
    "order": 1,
    "name": "Old breach step",
    "trigger": "response_breached",
    "percent": None,
    "minutes": None,
    "action": "notify",
    "channel": "in_app",
    "notify_group": "Supervisor",
    "notify_user_id": None,
    "team": "",
    "requires_ack": True,
    "ack_timeout_seconds": 300,
    "max_repeats": 1,
}


def _previous_shape(*steps: dict) -> dict:
    return {
        "policy_id": None,
        "policy_name": "Policy of the old code",
        "taken_at": "2026-01-01T09:00:00+00:00",
        "steps": list(steps),
    }


def test_a_snapshot_without_a_version_reads_as_version_one_with_typed_steps():
    plan = PolicySnapshot.from_dict(_previous_shape(PREVIOUS_SHAPE_STEP))

    assert plan.version == 1
    [step] = plan.steps
    assert isinstance(step, StepSnapshot)
    assert (step.ack_timeout, step.max_repeats, step.recipients) == (
        timedelta(minutes=5),
        1,
        {"group": "Supervisor", "user_id": None},
    )


def test_missing_step_keys_take_the_step_defaults():
    step = StepSnapshot.from_dict({"id": 3, "trigger": "p1_logged"})

    assert (step.action, step.channel, step.requires_ack) == ("notify", "in_app", False)
    assert (step.ack_timeout, step.max_repeats, step.team) == (timedelta(minutes=5), 2, "")


def test_new_snapshots_are_written_with_the_version_and_read_back_the_same(reference_data):
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED, "requires_ack": True})
    incident = log()

    stored = Escalation.objects.get(incident=incident).snapshot

    assert stored["version"] == SNAPSHOT_VERSION
    assert PolicySnapshot.from_dict(stored).to_dict() == stored


def test_a_snapshot_stored_by_the_previous_code_still_fires_and_repeats(reference_data, clock):
    # given an incident whose running escalation holds a snapshot in the old shape
    start = clock.now
    incident = log()  # P2: 30 minutes to respond
    Escalation.objects.filter(incident=incident).update(
        snapshot=_previous_shape(PREVIOUS_SHAPE_STEP)
    )
    services.schedule_steps(incident=incident)

    # when the breach passes and nobody acknowledges, past the one repeat
    for minutes in (30, 35, 40):
        services.sweep(now=start + timedelta(minutes=minutes))

    # then it fired, repeated once, and moved the incident up, as a new snapshot would
    fired = EscalationEvent.objects.filter(incident=incident).order_by("repetition")
    assert [(e.step_name, e.action) for e in fired] == [
        ("Old breach step", Action.NOTIFY),
        ("Old breach step", Action.NOTIFY),
        ("Old breach step", Action.RAISE_LEVEL),
    ]
    assert fired[0].recipients == {"group": "Supervisor", "user_id": None}
    assert Escalation.objects.get(incident=incident).level == Level.SUPERVISOR


def test_a_snapshot_step_missing_newer_keys_still_fires_with_defaults(reference_data, clock):
    start = clock.now
    incident = log()
    Escalation.objects.filter(incident=incident).update(
        snapshot=_previous_shape({"id": 9002, "name": "Bare step", "trigger": "response_breached"})
    )
    services.schedule_steps(incident=incident)

    assert services.sweep(now=start + timedelta(minutes=30)) == 1

    event = EscalationEvent.objects.get(incident=incident)
    assert (event.step_name, event.action, event.requires_ack) == ("Bare step", "notify", False)
