"""A failed or unconfirmed briefing is not a response: the clock runs on, the board warns,
and the "dispatch not acknowledged after N min" trigger fires."""

from datetime import timedelta

import pytest

from board import rows as board
from dispatch import services
from escalation import services as escalation
from escalation.demo import install_default_policy
from escalation.models import EscalationEvent, Trigger
from incidents.models import EventKind, TimerKind
from messaging import services as messaging
from tests.factories import (
    acknowledge,
    escalation_policy,
    log,
    minor,
    resource,
    send,
    supervisor,
)
from tests.incidents.api_support import client_for

pytestmark = pytest.mark.django_db


def response_timer(incident):
    return incident.timers.get(kind=TimerKind.RESPONSE)


def warning(incident) -> str:
    [assigned] = board.incident_row(incident.pk)["assigned"]
    return assigned["warning"]


def test_a_radio_dispatch_without_the_voice_tick_leaves_the_clock_running_and_warns(
    reference_data,
):
    incident = log()

    send(incident, resource("FAC-1"), channel="radio")

    assert response_timer(incident).met_at is None
    assert warning(incident) == "awaiting voice confirmation"


def test_confirming_the_voice_briefing_later_meets_the_response_and_clears_the_warning(
    reference_data,
):
    incident = log()
    dispatch = send(incident, resource("FAC-1"), channel="radio")

    services.confirm_voice_briefing(message_id=dispatch.messages.get().pk, actor=supervisor())

    assert response_timer(incident).met_at is not None
    assert warning(incident) == ""
    assert incident.timers.get(kind=TimerKind.ACKNOWLEDGEMENT).met_at is not None


def test_a_failed_sms_briefing_leaves_the_clock_running_and_warns_on_the_board(
    reference_data, settings
):
    # given no SMS gateway: the briefing cannot be sent
    settings.DISPATCH_GATEWAYS = {"sms": ("", ""), "pager": ("", ""), "im": ("", "")}
    incident = log()
    dispatch = send(incident, resource("FAC-1", contacts={"sms": "07700 900111"}), channel="sms")

    # when the delivery attempt fails
    outcome = messaging.deliver(dispatch.messages.get().pk)

    # then the response is still owed and the row says why
    assert outcome == "failed"
    assert response_timer(incident).met_at is None
    assert warning(incident) == "briefing failed"


def test_an_unacknowledged_dispatch_warns_after_the_set_minutes(reference_data, clock):
    incident = log()
    send(incident, resource("FAC-1", contacts={"email": "fac1@example.org"}), channel="email")
    clock.advance(minutes=4)
    assert warning(incident) == ""

    clock.advance(minutes=2)

    assert warning(incident) == "not acknowledged after 6 min"


def test_an_acknowledged_dispatch_has_no_warning(reference_data):
    incident = log()
    dispatch = send(
        incident, resource("FAC-1", contacts={"email": "a@example.org"}), channel="email"
    )

    acknowledge(dispatch)

    assert warning(incident) == ""


def test_the_acknowledgement_clock_starts_at_the_dispatch_and_is_met_by_the_answer(
    reference_data, clock
):
    incident = log()
    clock.advance(minutes=2)
    dispatch = send(incident, resource("FAC-1"), channel="radio")
    waiting = incident.timers.get(kind=TimerKind.ACKNOWLEDGEMENT)
    assert (waiting.started_at, waiting.met_at) == (clock.now, None)

    clock.advance(minutes=1)
    acknowledge(dispatch)

    assert incident.timers.get(kind=TimerKind.ACKNOWLEDGEMENT).met_at == clock.now


def test_recalling_the_only_unanswered_dispatch_stops_the_wait_but_not_the_response(
    reference_data,
):
    incident = log()
    dispatch = send(incident, resource("FAC-1"), channel="radio")

    services.progress_dispatch(
        dispatch_id=dispatch.pk, step="recalled", actor=supervisor(), reason="Wrong site"
    )

    assert incident.timers.get(kind=TimerKind.ACKNOWLEDGEMENT).met_at is not None
    assert response_timer(incident).met_at is None


def test_dispatch_not_acknowledged_fires_n_minutes_after_the_dispatch(reference_data, clock):
    escalation_policy({"trigger": Trigger.DISPATCH_UNACKNOWLEDGED, "minutes": 5})
    incident = log()
    clock.advance(minutes=3)
    send(incident, resource("FAC-1"), channel="radio")
    sent_at = clock.now

    assert escalation.sweep(now=sent_at + timedelta(minutes=5) - timedelta(seconds=1)) == 0
    assert escalation.sweep(now=sent_at + timedelta(minutes=5)) == 1
    fired = EscalationEvent.objects.get(incident=incident)
    assert fired.trigger == Trigger.DISPATCH_UNACKNOWLEDGED


def test_an_acknowledgement_in_time_cancels_the_unacknowledged_step(reference_data, clock):
    escalation_policy({"trigger": Trigger.DISPATCH_UNACKNOWLEDGED, "minutes": 5})
    incident = log()
    dispatch = send(incident, resource("FAC-1"), channel="radio")
    clock.advance(minutes=4)

    acknowledge(dispatch)

    assert escalation.sweep(now=clock.now + timedelta(hours=1)) == 0


def test_no_dispatch_does_not_fire_once_someone_was_sent(reference_data, clock):
    escalation_policy({"trigger": Trigger.NO_DISPATCH, "minutes": 10})
    start = clock.now
    incident = log()
    send(incident, resource("FAC-1"), channel="radio")  # sent, not yet answered

    assert escalation.sweep(now=start + timedelta(minutes=10)) == 0


def test_the_demo_policy_tells_supervisors_of_a_dispatch_not_acknowledged(reference_data, clock):
    install_default_policy()
    incident = minor()
    send(incident, resource("FAC-1"), channel="radio")

    escalation.sweep(now=clock.now + timedelta(minutes=5))

    fired = EscalationEvent.objects.get(incident=incident, trigger=Trigger.DISPATCH_UNACKNOWLEDGED)
    assert fired.recipients["group"] == "Supervisor"
    assert fired.requires_ack
    assert incident.events.filter(kind=EventKind.ESCALATION_FIRED).exists()
    assert warning(incident) == "awaiting voice confirmation"


def test_the_board_row_from_the_api_carries_the_warning(reference_data):
    incident = log()
    send(incident, resource("FAC-1"), channel="radio")

    answer = client_for(supervisor()).get("/api/board/")

    assert answer.status_code == 200
    [row] = [r for r in answer.json()["rows"] if r["id"] == incident.pk]
    assert row["assigned"][0]["warning"] == "awaiting voice confirmation"
