"""Reads for the board: a fixed number of queries however many escalations wait."""

from datetime import timedelta

import pytest

from escalation import selectors, services
from escalation.models import Trigger
from incidents.models import ImpactLevel, UrgencyLevel
from tests.factories import UserFactory, escalation_policy, log, supervisor

ACK = {"requires_ack": True, "ack_timeout": timedelta(minutes=5), "max_repeats": 2}

pytestmark = pytest.mark.django_db


def log_p1s(count: int):
    impact, urgency = ImpactLevel.objects.get(rank=1), UrgencyLevel.objects.get(rank=1)
    return [log(impact=impact, urgency=urgency, summary=f"Fire {n}") for n in range(count)]


@pytest.fixture
def policy(reference_data):
    return escalation_policy({"trigger": Trigger.P1_LOGGED, "requires_ack": True})


@pytest.mark.parametrize("count", [1, 6])
def test_unacknowledged_escalations_cost_one_query(policy, count, django_assert_num_queries):
    log_p1s(count)

    with django_assert_num_queries(1):
        rows = [selectors.alert_row(e) for e in selectors.unacknowledged_escalations()]

    assert len(rows) == count


def test_open_alerts_are_grouped_by_incident_for_board_rows(policy, django_assert_num_queries):
    first, second, _other = log_p1s(3)

    with django_assert_num_queries(1):
        alerts = selectors.open_alerts([first.pk, second.pk])

    assert set(alerts) == {first.pk, second.pk}
    assert alerts[first.pk][0]["reference"] == first.reference
    assert alerts[first.pk][0]["needs_ack"] is True


def test_an_alert_counts_its_unanswered_reminders_since_it_first_fired(reference_data, clock):
    # given a breach step that repeats every 5 minutes until acknowledged
    escalation_policy({"trigger": Trigger.RESPONSE_BREACHED, "name": "Breached", **ACK})
    start = clock.now
    incident = log()  # P2: 30 minutes to respond

    # when it fires at 30 minutes and nobody acknowledges the two reminders
    for minutes in (30, 35, 40):
        services.sweep(now=start + timedelta(minutes=minutes))

    # then the board shows one alert: the step's third firing, first fired at 30 minutes
    [alert] = selectors.open_alerts([incident.pk])[incident.pk]
    assert alert["step"] == "Breached"
    assert alert["firings"] == 3
    assert alert["first_fired_at"] == (start + timedelta(minutes=30)).isoformat()
    assert alert["fired_at"] == (start + timedelta(minutes=40)).isoformat()
    assert alert["ack_url"] == f"/api/incidents/{incident.pk}/acknowledge-escalation/"


def test_an_acknowledged_run_does_not_count_towards_the_next_one(reference_data, clock):
    # given a manual escalation that was acknowledged after one reminder
    incident = log()
    boss = supervisor()
    services.escalate_manually(incident_id=incident.pk, actor=boss, reason="Caller upset")
    services.sweep(now=clock.advance(minutes=6))
    assert selectors.open_alerts([incident.pk])[incident.pk][0]["firings"] == 2
    services.acknowledge_escalations(incident_id=incident.pk, actor=boss)

    # when the incident is escalated by hand again later
    clock.advance(minutes=20)
    services.escalate_manually(incident_id=incident.pk, actor=boss, reason="Still upset")

    # then the new alert starts its own count
    [alert] = selectors.open_alerts([incident.pk])[incident.pk]
    assert alert["firings"] == 1
    assert alert["first_fired_at"] == alert["fired_at"] == clock.now.isoformat()


def test_an_alert_names_who_was_told(reference_data, django_assert_num_queries):
    # given a P1 step that tells the supervisors and tonight's duty manager by name
    duty = UserFactory(username="dm", first_name="Dana", last_name="Morgan")
    escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "notify_user": duty, **ACK},
    )
    [incident] = log_p1s(1)
    incident.escalation_events.update(recipients={"group": "Supervisor", "user_id": duty.pk})

    # then one query reads the alerts and one the names of the people told
    with django_assert_num_queries(2):
        alerts = selectors.open_alerts([incident.pk])

    assert alerts[incident.pk][0]["told"] == ["Supervisor", "Dana Morgan"]
