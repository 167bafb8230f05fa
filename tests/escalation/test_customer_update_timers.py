"""SLA timer arithmetic for customer care: the update reset and the reopen rules."""

from datetime import timedelta

import pytest

from incidents import clock as timers
from incidents import services
from incidents.models import TimerKind
from tests.factories import agent, log

pytestmark = pytest.mark.django_db


def timer(incident, kind):
    return incident.timers.get(kind=kind)


def test_a_customer_update_makes_the_next_one_due_one_interval_later(reference_data, clock):
    # given a P2 incident (update every hour) logged now
    incident = log()
    # when the agent updates the caller 50 minutes in
    at = clock.advance(minutes=50)
    timers.reset_customer_update_timer(incident=incident, at=at)
    # then the next update is due an hour after that one
    assert timer(incident, TimerKind.CUSTOMER_UPDATE).due_at == at + timedelta(hours=1)


def test_a_reset_while_on_hold_leaves_the_clock_paused(reference_data, clock):
    incident = log()
    services.change_status(
        incident_id=incident.pk, actor=agent(), to_status="on_hold", reason="Waiting on parts"
    )
    at = clock.advance(minutes=10)

    timers.reset_customer_update_timer(incident=incident, at=at)

    update = timer(incident, TimerKind.CUSTOMER_UPDATE)
    assert update.paused_at == at
    assert update.due_at == at + timedelta(hours=1)


def test_a_stopped_update_clock_is_not_restarted_by_an_update(reference_data, clock):
    incident = log()
    timers.meet_timers(incident=incident, kinds=[TimerKind.CUSTOMER_UPDATE], at=clock.now)

    assert timers.reset_customer_update_timer(incident=incident, at=clock.advance(hours=1)) is None
    assert timer(incident, TimerKind.CUSTOMER_UPDATE).met_at is not None


def test_reopening_resumes_the_resolution_clock_where_it_stopped(reference_data, clock):
    # given a P2 incident (8 h to resolve) resolved after 2 hours
    incident = log()
    logged_at = clock.now
    clock.advance(hours=2)
    timers.meet_timers(incident=incident, kinds=list(TimerKind), at=clock.now)
    # when it is reopened a day later
    reopened_at = clock.advance(days=1)
    timers.reopen_timers(incident=incident, at=reopened_at)
    # then 6 hours remain on the resolution clock; the day resolved did not count
    resolution = timer(incident, TimerKind.RESOLUTION)
    assert resolution.met_at is None
    assert resolution.due_at == reopened_at + timedelta(hours=6)
    assert resolution.due_at == logged_at + timedelta(hours=8) + timedelta(days=1)
    # the customer is owed an update within one interval of the reopening
    assert timer(incident, TimerKind.CUSTOMER_UPDATE).due_at == reopened_at + timedelta(hours=1)
    # and the first response stays met
    assert timer(incident, TimerKind.RESPONSE).met_at is not None
