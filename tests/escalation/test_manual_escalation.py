"""A manual escalation reaches someone: an alert for its target that needs acknowledgement,
on the board, the escalations page and the API, notified, repeated, then moved up."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from board import rows as board
from core.errors import Invalid
from escalation import services
from escalation.models import (
    MANUAL_STEP_ID,
    Action,
    Channel,
    Escalation,
    EscalationDue,
    EscalationEvent,
    Level,
)
from tests.factories import UserFactory, agent, log, supervisor
from tests.incidents.api_support import client_for
from tests.messaging.outbox import drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def hazmat(reference_data):
    return Group.objects.create(name="Hazmat")


def _escalate(incident, **kwargs):
    return services.escalate_manually(
        incident_id=incident.pk, actor=agent(), reason="Beyond my authority", **kwargs
    )


def test_a_manual_escalation_up_a_level_alerts_that_levels_group_and_needs_ack(reference_data):
    incident = log()

    event = _escalate(incident)

    assert (event.step_id, event.action, event.channel) == (
        MANUAL_STEP_ID,
        Action.RAISE_LEVEL,
        Channel.EMAIL,
    )
    assert event.recipients == {"group": "Supervisor", "user_id": None}
    assert (event.requires_ack, event.awaiting_ack) == (True, True)
    assert incident.events.get(kind="escalated_manually").data["needs_ack"] is True


def test_a_manual_escalation_to_a_team_alerts_the_teams_group(hazmat):
    incident = log()

    event = _escalate(incident, team="hazmat")

    assert (event.action, event.recipients["group"]) == (Action.SPECIALIST, "Hazmat")
    assert Escalation.objects.get(incident=incident).team == "Hazmat"


def test_a_team_that_is_no_group_is_refused_listing_the_teams(hazmat):
    incident = log()

    with pytest.raises(Invalid) as refused:
        _escalate(incident, team="Ghostbusters")

    assert "Hazmat" in refused.value.errors["team"][0]
    assert not EscalationEvent.objects.filter(incident=incident).exists()


def test_roles_and_levels_are_not_specialist_teams(hazmat):
    Group.objects.get_or_create(name="Duty manager")

    assert "Supervisor" not in services.selectors.specialist_teams()
    assert services.selectors.specialist_teams() == ["Hazmat"]


def test_a_manual_escalation_emails_the_target_group_through_the_outbox(reference_data):
    boss = UserFactory(email="boss@example.org")
    boss.groups.add(Group.objects.get_or_create(name="Supervisor")[0])
    incident = log()

    event = _escalate(incident)
    # the firing put one email per person in the outbox; a worker sends it
    (message,) = event.messages.all()
    drain(message.pk)

    assert mail.outbox[-1].to == ["boss@example.org"]
    assert incident.reference in mail.outbox[-1].subject


def test_an_unacknowledged_manual_alert_repeats_then_moves_up_a_level(
    reference_data, clock, settings
):
    settings.ESCALATION_MANUAL_ACK_TIMEOUT_MINUTES = 5
    settings.ESCALATION_MANUAL_MAX_REPEATS = 2
    start = clock.now
    incident = log()
    _escalate(incident)  # agent → supervisor

    for minutes in (5, 10, 15):
        services.sweep(now=start + timedelta(minutes=minutes))

    manual = EscalationEvent.objects.filter(incident=incident, step_id=MANUAL_STEP_ID)
    assert [(e.action, e.recipients["group"]) for e in manual.order_by("repetition")] == [
        (Action.RAISE_LEVEL, "Supervisor"),
        (Action.NOTIFY, "Supervisor"),
        (Action.NOTIFY, "Supervisor"),
        (Action.RAISE_LEVEL, "Duty manager"),
    ]
    assert Escalation.objects.get(incident=incident).level == Level.DUTY_MANAGER
    assert list(manual.filter(awaiting_ack=True).values_list("repetition", flat=True)) == [3]


def test_two_manual_escalations_each_keep_their_own_alert_and_repeats(hazmat, clock):
    start = clock.now
    incident = log()
    _escalate(incident, team="Hazmat")
    _escalate(incident)

    services.sweep(now=start + timedelta(minutes=5))

    waiting = EscalationEvent.objects.filter(incident=incident, awaiting_ack=True)
    assert sorted(e.recipients["group"] for e in waiting) == ["Hazmat", "Supervisor"]
    assert waiting.count() == 2


def test_acknowledging_stops_the_manual_alerts_repeats(reference_data, clock):
    start = clock.now
    incident = log()
    _escalate(incident)

    services.acknowledge_escalations(incident_id=incident.pk, actor=supervisor())

    assert not EscalationDue.objects.filter(incident=incident).exists()
    assert services.sweep(now=start + timedelta(hours=1)) == 0


def test_a_manual_escalation_shows_on_the_board_row(reference_data):
    incident = log()

    event = _escalate(incident)

    [alert] = board.incident_row(incident.pk)["alerts"]
    assert (alert["id"], alert["step"], alert["needs_ack"]) == (event.pk, "Manual escalation", True)


def test_a_manual_escalation_is_listed_by_the_escalations_api(reference_data):
    incident = log()
    api = client_for(agent())

    api.post(f"/api/incidents/{incident.pk}/escalate/", {"reason": "Legal threat"}, format="json")

    [alert] = (
        client_for(supervisor()).get("/api/escalations/?unacknowledged=true").json()["results"]
    )
    assert (alert["reference"], alert["step"], alert["needs_ack"]) == (
        incident.reference,
        "Manual escalation",
        True,
    )


def test_an_unknown_team_is_a_400_listing_the_teams(hazmat):
    incident = log()

    response = client_for(agent()).post(
        f"/api/incidents/{incident.pk}/escalate/",
        {"reason": "Gas smell", "team": "Ghostbusters"},
        format="json",
    )

    assert response.status_code == 400
    assert "Hazmat" in str(response.json()["team"])


def test_a_manual_escalation_from_the_page_lands_on_the_escalations_page(client, hazmat):
    incident = log()
    client.force_login(agent())

    client.post(
        reverse("escalation:action", args=[incident.pk, "escalate"]),
        {"target": "team", "team": "Hazmat", "reason": "Asbestos suspected"},
    )
    client.force_login(supervisor())
    page = client.get(reverse("escalation:list")).content.decode()

    assert f"Acknowledge {incident.reference}" in page
    assert "Manual escalation" in page


def test_the_escalate_form_offers_the_teams_as_a_select(client, hazmat):
    incident = log()
    client.force_login(agent())

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert '<select id="id_escalate_team" name="team">' in page
    assert '<option value="Hazmat">Hazmat</option>' in page
