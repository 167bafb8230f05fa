"""Alerts end with their incident: resolving, cancelling or closing closes its open alerts,
deletes its due work, records it on the timeline, and the board and the lists drop them."""

import pytest
from django.urls import reverse

from board import rows as board
from escalation.models import EscalationDue, EscalationEvent, Trigger
from incidents import services as incident_services
from incidents.models import EventKind, ImpactLevel, Status, UrgencyLevel
from tests.factories import agent, close, escalation_policy, log, resolve, supervisor
from tests.incidents.api_support import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerting_p1(reference_data):
    """A P1 whose policy's "P1 logged" step waits for acknowledgement, with a repeat due."""
    escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", "requires_ack": True},
        {"trigger": Trigger.RESOLUTION_BREACHED, "name": "Resolution breached"},
    )
    return log(impact=ImpactLevel.objects.get(rank=1), urgency=UrgencyLevel.objects.get(rank=1))


def _cancel(incident):
    return incident_services.change_status(
        incident_id=incident.pk,
        actor=supervisor(),
        to_status=Status.CANCELLED,
        reason="Duplicate of a call logged a minute earlier",
    )


def test_resolving_closes_the_open_alerts_and_deletes_the_due_work(alerting_p1):
    alert = EscalationEvent.objects.get(incident=alerting_p1)
    assert EscalationDue.objects.filter(incident=alerting_p1).exists()

    resolve(alerting_p1)

    alert.refresh_from_db()
    assert (alert.awaiting_ack, alert.closed_reason) == (False, Status.RESOLVED)
    assert alert.closed_at is not None and alert.acknowledged_at is None
    assert not EscalationDue.objects.filter(incident=alerting_p1).exists()


def test_closing_the_alerts_is_recorded_on_the_timeline_after_the_resolution(alerting_p1):
    alert = EscalationEvent.objects.get(incident=alerting_p1)

    resolve(alerting_p1)

    resolved, closed = list(alerting_p1.events.order_by("id"))[-2:]
    assert resolved.kind == EventKind.RESOLVED
    assert (closed.kind, closed.data) == (
        EventKind.ALERTS_CLOSED,
        {"escalation_event_ids": [alert.pk], "because": "resolved"},
    )


def test_cancelling_closes_the_open_alerts(alerting_p1):
    _cancel(alerting_p1)

    alert = EscalationEvent.objects.get(incident=alerting_p1)
    assert (alert.awaiting_ack, alert.closed_reason) == (False, Status.CANCELLED)
    assert alerting_p1.events.last().data["because"] == "cancelled"


def test_closing_closes_an_alert_still_open_on_a_resolved_incident(alerting_p1):
    # given a resolved incident whose alert was left open (resolved before this rule existed)
    resolve(alerting_p1)
    EscalationEvent.objects.filter(incident=alerting_p1).update(awaiting_ack=True)

    close(alerting_p1)

    alert = EscalationEvent.objects.get(incident=alerting_p1)
    assert (alert.awaiting_ack, alert.closed_reason) == (False, Status.CLOSED)


def test_settling_with_no_open_alert_records_nothing_extra(reference_data):
    incident = log()

    resolve(incident)

    assert incident.events.last().kind == EventKind.RESOLVED


def test_the_board_row_drops_the_alerts_of_a_resolved_incident(alerting_p1):
    assert len(board.incident_row(alerting_p1.pk)["alerts"]) == 1

    resolve(alerting_p1)

    assert board.incident_row(alerting_p1.pk)["alerts"] == []


def test_the_escalations_api_and_page_drop_a_cancelled_incidents_alerts(client, alerting_p1):
    api = client_for(supervisor())
    assert len(api.get("/api/escalations/?unacknowledged=true").json()["results"]) == 1

    _cancel(alerting_p1)

    assert api.get("/api/escalations/?unacknowledged=true").json()["results"] == []
    client.force_login(supervisor())
    page = client.get(reverse("escalation:list")).content.decode()
    assert "Nothing waiting" in page


def test_the_incident_page_shows_why_the_alerts_closed(client, alerting_p1):
    resolve(alerting_p1)
    client.force_login(agent())

    page = client.get(reverse("incidents:detail", args=[alerting_p1.pk])).content.decode()

    assert "1 escalation alert closed: the incident was resolved" in page
    assert 'id="escalation-banner"' not in page
