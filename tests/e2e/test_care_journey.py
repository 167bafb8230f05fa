"""One incident from the first call to the customer's confirmed closure, in a real browser."""

import pytest
from django.core import mail

from customer_care.models import SatisfactionLink
from incidents.models import Incident
from tests.e2e.conftest import log_in, screenshot
from tests.factories import agent, on_dispatch
from tests.messaging.outbox import drain

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def submit(page, form_id: str, button: str) -> None:
    page.locator(f"#{form_id}").get_by_role("button", name=button).click()
    page.locator(".flash").first.wait_for()


def test_an_incident_goes_from_first_call_to_confirmed_closure(new_page, reference_data):
    agent(username="alice")
    page = new_page()
    log_in(page, "alice")

    # The call: the agent logs it.
    page.goto("/incidents/new/")
    page.select_option("#id_record_type", "incident")
    page.select_option("#id_contact_channel", "phone")
    page.fill("#id_caller_name", "Ruth Okafor")
    page.fill("#id_caller_phone", "07700 900123")
    page.fill("#id_caller_email", "ruth@example.org")
    page.select_option("#id_category", label="Water leak or flood")
    page.fill("#id_location", "Block B, 2nd floor kitchen")
    page.fill("#id_summary", "Water through the ceiling")
    page.select_option("#id_impact", label="Medium")
    page.select_option("#id_urgency", label="High")
    page.check("#id_details_confirmed")
    page.get_by_role("button", name="Save incident").click()
    page.locator("#reference").wait_for()
    incident = Incident.objects.get()
    assert page.locator("#customer-care").get_by_text("Due by").is_visible()

    # A plumber is on the way (In progress needs a resource on an active dispatch).
    on_dispatch(incident)

    # Work starts; the agent rings the caller back with news.
    page.select_option("#id_status", "in_progress")
    submit(page, "status-form", "Change status")
    page.select_option("#id_update_channel", "phone")
    page.fill("#id_update_message", "A plumber is on the way and will be there by 3pm.")
    submit(page, "update-customer", "Record update")
    assert "Customer update recorded" in page.locator(".flash").inner_text()
    screenshot(page, "care-incident-in-progress")

    # Fixed: resolved with notes and a code.
    page.select_option("#id_resolve_code", "fixed")
    page.fill("#id_resolve_notes", "Pipe joint above the kitchen replaced; ceiling dried.")
    submit(page, "resolve", "Resolve")
    assert page.locator("#resolution").get_by_text("Fixed").is_visible()

    # The customer gets the survey email and answers it, without logging in.
    drain(SatisfactionLink.objects.get().outbound_id)
    (email,) = mail.outbox
    url = next(word for word in email.body.split() if "/satisfaction/" in word)
    customer = new_page()
    customer.goto(url.split("127.0.0.1:8000", 1)[1])
    customer.get_by_label("5 – very happy").check()
    customer.fill("#id_comment", "Quick and polite, thank you.")
    screenshot(customer, "care-survey-form")
    customer.get_by_role("button", name="Send my answer").click()
    customer.locator("#survey-thanks").wait_for()
    screenshot(customer, "care-survey-thanks")
    customer.reload()
    assert "each link can be used once" in customer.locator("#survey-refused").inner_text()

    # She confirms on the phone that all is well: the agent closes it.
    page.reload()
    page.select_option("#id_close_method", "phone")
    assert page.input_value("#id_close_confirmed_by") == "Ruth Okafor"
    submit(page, "close", "Close")

    # The page says closed, with who confirmed, and the timeline tells the whole story.
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert "Confirmed by phone by Ruth Okafor" in page.locator("#closure").inner_text()
    story = page.locator(".timeline").inner_text()
    chapters = [
        "Logged",
        "Status changed",
        "Customer updated",
        "Resolved",
        "Satisfaction survey sent",
        "Satisfaction recorded",
        "Closed",
    ]
    positions = [story.index(chapter) for chapter in chapters]
    assert positions == sorted(positions)
    assert "A plumber is on the way" in story
    assert "5/5" in story
    assert "Pipe joint above the kitchen replaced" in story
    screenshot(page, "care-incident-closed")
