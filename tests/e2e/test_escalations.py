"""A supervisor sees an escalated P1, acknowledges it, and an agent escalates by hand."""

import pytest
from django.contrib.auth.models import Group

from escalation.models import Escalation, EscalationEvent, Level, Trigger
from incidents.models import ImpactLevel, UrgencyLevel
from tests.e2e.conftest import log_in, screenshot
from tests.factories import agent, escalation_policy, log, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def escalated_p1():
    escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", "requires_ack": True}
    )
    return log(
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        summary="Smoke in the server room",
    )


def test_supervisor_acknowledges_an_escalation_from_the_incident_banner(new_page, reference_data):
    incident = escalated_p1()
    supervisor(username="sam")
    page = new_page()
    log_in(page, "sam")

    page.goto(f"/incidents/{incident.pk}/")
    banner = page.get_by_role("alert")
    banner.get_by_text("Tell the duty manager").wait_for()
    screenshot(page, "escalation-banner")
    banner.get_by_role("button", name="Acknowledge").click()

    page.get_by_text("Escalation acknowledged.").wait_for()
    assert page.get_by_role("alert").count() == 0
    assert EscalationEvent.objects.get().acknowledged_by.username == "sam"


def test_supervisor_works_through_the_unacknowledged_list(new_page, reference_data):
    incident = escalated_p1()
    supervisor(username="sam")
    page = new_page()
    log_in(page, "sam")

    page.get_by_role("link", name="Escalations").click()
    page.get_by_role("heading", name="Unacknowledged escalations").wait_for()
    screenshot(page, "escalations-list")
    page.get_by_role("button", name=f"Acknowledge {incident.reference}").click()

    page.get_by_text("Nothing waiting").wait_for()


def test_agent_escalates_by_hand_with_a_reason(new_page, reference_data):
    incident = log()
    agent(username="alice")
    page = new_page()
    log_in(page, "alice")

    page.goto(f"/incidents/{incident.pk}/")
    page.fill("#id_escalate_reason", "Caller says the ceiling is sagging")
    page.get_by_role("button", name="Escalate", exact=True).click()

    page.get_by_text("Escalated.").wait_for()
    assert page.locator("#escalation-level").inner_text() == "Supervisor"
    assert Escalation.objects.get(incident=incident).level == Level.SUPERVISOR
    screenshot(page, "escalated-by-hand")


def test_agent_escalates_to_a_specialist_team_and_the_supervisor_sees_the_alert(
    new_page, reference_data
):
    Group.objects.create(name="Hazmat")
    incident = log(summary="White dust in the plant room")
    agent(username="alice")
    supervisor(username="sam")
    page = new_page()
    log_in(page, "alice")

    page.goto(f"/incidents/{incident.pk}/")
    page.get_by_label("A specialist team").check()
    page.select_option("#id_escalate_team", "Hazmat")
    page.fill("#id_escalate_reason", "Possible asbestos")
    page.get_by_role("button", name="Escalate", exact=True).click()

    page.get_by_text("Escalated.").wait_for()
    page.get_by_role("alert").get_by_text("Manual escalation").wait_for()
    boss = new_page()
    log_in(boss, "sam")
    boss.goto("/escalations/")
    boss.get_by_role("button", name=f"Acknowledge {incident.reference}").wait_for()
    screenshot(boss, "manual-escalation-listed")
