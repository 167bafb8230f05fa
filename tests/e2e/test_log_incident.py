"""An agent logs calls in a real browser, keyboard only."""

import pytest

from incidents.models import Incident
from tests.e2e.conftest import log_in, screenshot
from tests.factories import agent, log

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def type_call(page, *, location: str, summary: str) -> None:
    """Fill the form the way an agent does on a call: Tab, type, pick by first letters."""
    # Typing starts only once the form has put the focus on its first field.
    page.wait_for_function("document.activeElement.id === 'id_record_type'")
    keys = page.keyboard
    keys.type("I")  # record type: Incident (the form opens with it focused)
    for value in (
        "P",
        "Ruth Okafor",
        "07700 900123",
        "",
        "W",
        location,
        summary,
        "",
        "PIPE-B2-07",
        "M",
        "H",
        "Water near the fuse board",
    ):
        keys.press("Tab")
        if value:
            keys.type(value)
    keys.press("Tab")
    keys.press("Space")  # details read back to the caller


def test_agent_logs_an_incident_with_the_keyboard_only(new_page, reference_data):
    agent(username="alice")
    page = new_page()
    log_in(page, "alice")
    page.goto("/incidents/new/")

    type_call(page, location="Block B, 2nd floor kitchen", summary="Water through the ceiling")

    preview = page.locator("#priority-preview")
    preview.get_by_text("P2").wait_for()
    assert "High" in preview.inner_text()
    screenshot(page, "new-incident-form")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Save incident

    page.locator("#reference").wait_for()
    incident = Incident.objects.get()
    assert page.locator("#reference").inner_text() == incident.reference
    assert incident.priority.code == "P2"
    assert incident.details_confirmed
    screenshot(page, "incident-detail")


def test_a_second_caller_is_linked_to_the_first_with_one_key(new_page, reference_data):
    first = log(location="Block B, 2nd floor kitchen")
    agent(username="alice")
    page = new_page()
    log_in(page, "alice")
    page.goto("/incidents/new/")

    type_call(page, location="Block B 2nd floor kitchen", summary="Ceiling dripping")
    page.get_by_text(f"Link this call to {first.reference}").wait_for()
    page.keyboard.press("Alt+1")

    assert f"linked to {first.reference}" in page.locator("#linked-banner").inner_text()
    screenshot(page, "new-incident-duplicate")
    page.keyboard.press("Enter")  # focus is still on the form: Enter submits it

    page.locator("#reference").wait_for()
    assert Incident.objects.exclude(pk=first.pk).get().parent_id == first.pk


def test_a_script_in_a_summary_shows_as_text(new_page, reference_data):
    payload = "<img src=x onerror=\"document.title='pwned'\">"
    incident = log(summary=payload)
    agent(username="alice")
    page = new_page()
    log_in(page, "alice")

    for url in ("/incidents/", f"/incidents/{incident.pk}/"):
        page.goto(url)
        assert page.get_by_text(payload).first.is_visible()
        assert page.title() != "pwned"
    screenshot(page, "incident-list-escaped")
