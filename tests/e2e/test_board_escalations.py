"""A supervisor's board shows an escalation the moment the engine fires it, readable from
across the room, and she acknowledges it there: it leaves the row and the list."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connections
from django.utils import timezone

from escalation import services
from escalation.models import Action, EscalationEvent, Trigger
from incidents.models import Category, ImpactLevel, UrgencyLevel
from tests.e2e.conftest import screenshot
from tests.e2e.test_board import row
from tests.e2e.test_board_dispatch import open_board
from tests.factories import escalation_policy, log, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEP = "Response breached — supervisor paged"


def in_worker(work):
    """Run a service from a worker thread: Playwright's loop owns this one, and the
    publisher's async_to_sync refuses to run beside it."""

    def run():
        try:
            return work()
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def breached_p1():
    """A P1 whose response target was breached a minute ago, under a policy that moves it up
    to a supervisor then (the escalation is due; the sweep has not run yet)."""
    # given a policy that moves a call up to a supervisor when its response target is breached
    escalation_policy(
        {
            "trigger": Trigger.RESPONSE_BREACHED,
            "name": STEP,
            "action": Action.RAISE_LEVEL,
            "requires_ack": True,
        }
    )
    # and a P1 logged 16 minutes ago that nobody has responded to (P1 response: 15 minutes)
    sixteen_minutes_ago = timezone.now() - timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=sixteen_minutes_ago):
        fire = log(
            impact=ImpactLevel.objects.get(rank=1),
            urgency=UrgencyLevel.objects.get(rank=1),
            summary="Smoke in the server room",
            category=Category.objects.get(slug="fire-smoke"),
        )
    return fire


def test_a_fired_escalation_shows_as_one_line_with_its_reminders_until_acknowledged_there(
    new_page, reference_data
):
    fire = breached_p1()
    log(summary="Dripping tap in the staff room")
    supervisor(username="sam")
    board = open_board(new_page, "sam")
    escalations = board.locator("#escalations")
    assert board.locator("#escalations-count").inner_text() == "0"
    assert "Nothing waiting." in escalations.inner_text()

    # when the escalation sweep runs (what Celery beat's task does every few seconds)
    assert in_worker(services.sweep) == 1

    # then, without a reload, a red alert line shows under the row
    alert = board.locator(f"#rows tr.alert-row[data-id='{fire.pk}']")
    alert.wait_for(timeout=2_000)
    line = alert.inner_text().lower()
    assert STEP.lower() in line and "supervisor" in line
    assert "first alert" in line and "first fired just now" in line
    # and the call is announced like a new P1, and listed as waiting for a supervisor
    assert STEP in board.locator("#new-p1").inner_text()
    assert "alarm-row" in row(board, "Smoke in the server room").get_attribute("class")
    waiting = escalations.locator("li", has_text=fire.reference)
    assert STEP in waiting.inner_text()
    assert board.locator("#escalations-count").inner_text() == "1"

    # when nobody acknowledges and it is repeated twice (5 and 10 minutes later)
    fired_at = EscalationEvent.objects.get().fired_at
    for minutes in (5, 10):
        in_worker(lambda m=minutes: services.sweep(now=fired_at + timedelta(minutes=m)))

    # then it is still one line, saying how often it was repeated and since when
    alert.get_by_text("2nd reminder").wait_for(timeout=2_000)
    assert board.locator("#rows tr.alert-row").count() == 1
    assert alert.locator(".alert-part").count() == 1
    # counted from the first firing, not from the repeat (dated 10 minutes on)
    since = int(alert.locator(".alert-since").get_attribute("data-since"))
    assert since == int(fired_at.timestamp() * 1000)
    screenshot(board, "board-escalation")

    # when Sam acknowledges it from the line
    alert.get_by_role("button", name=f"Acknowledge {fire.reference}").click()

    # then it leaves the line and the list, live
    escalations.get_by_text("Nothing waiting.").wait_for(timeout=2_000)
    assert board.locator("#escalations-count").inner_text() == "0"
    assert board.locator("#rows tr.alert-row").count() == 0
    assert not board.locator("#new-p1").is_visible()  # no longer "needs acknowledgement"
    board.get_by_text(f"Escalation on {fire.reference} acknowledged.").wait_for()
    assert {
        e.acknowledged_by.username
        for e in EscalationEvent.objects.filter(awaiting_ack=False, acknowledged_at__isnull=False)
    } == {"sam"}
    screenshot(board, "board-escalation-acknowledged")


def test_a_refused_acknowledgement_is_shown_as_text_and_the_escalation_stays(
    new_page, reference_data
):
    # given Sam's board shows a fired escalation
    fire = breached_p1()
    sam = supervisor(username="sam")
    board = open_board(new_page, "sam")
    in_worker(services.sweep)
    waiting = board.locator("#escalations li", has_text=fire.reference)
    waiting.wait_for(timeout=2_000)

    # when Sam has lost the supervisor role since the board loaded, and acknowledges
    sam.groups.clear()
    waiting.get_by_role("button", name=f"Acknowledge {fire.reference}").click()

    # then the board says why, in words, and the escalation still waits
    error = board.locator("#escalations-error")
    error.get_by_text("You do not have permission").wait_for()
    assert board.locator("#escalations-count").inner_text() == "1"
    assert EscalationEvent.objects.get().awaiting_ack is True
    screenshot(board, "board-escalation-refused")
