"""A supervisor dispatches the recommended resource from the incident page and follows it."""

import pytest

from dispatch.demo import install_channel_rules
from dispatch.models import Dispatch
from incidents.models import Status
from tests.e2e.conftest import log_in, screenshot
from tests.factories import log, resource, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_supervisor_dispatches_the_recommended_resource_and_records_its_progress(
    new_page, reference_data
):
    # given a leak in Block B, a plumber nearby and a van further away
    install_channel_rules()
    incident = log(latitude="51.504000", longitude="-0.128800")
    resource("FAC-1", name="Sam Patel (plumber)", position=("51.504100", "-0.128900"))
    resource("VAN-1", name="Maintenance van", kind="vehicle", position=("51.499000", "-0.120000"))
    resource("FAC-3", name="Night porter", verified=False)
    supervisor(username="sue")
    page = new_page()
    log_in(page, "sue")

    # when she opens the incident, the nearest resource is first, with why
    page.goto(f"/incidents/{incident.pk}/")
    form = page.locator("#dispatch-form")
    first = form.locator("label.choice").first
    assert "1. FAC-1" in first.inner_text()
    assert "13 m away" in first.inner_text()
    assert form.locator("#id_channel").input_value() == "radio"
    assert incident.summary in form.locator("#id_briefing").input_value()
    screenshot(page, "dispatch-recommendations")

    # and dispatches it, having briefed it by radio
    page.get_by_label("I have briefed them by radio or phone just now").check()
    form.get_by_role("button", name="Dispatch").click()

    # then the dispatch shows with its progress buttons, and the incident is dispatched
    dispatched = page.locator("#dispatches article").first
    dispatched.get_by_text("Dispatched", exact=True).wait_for()
    assert "briefed by radio at" in dispatched.inner_text()
    assert "Dispatched" in page.locator(".status-line").inner_text()

    dispatched.get_by_role("button", name="On scene").click()
    page.locator("#dispatches .pill.status-on_scene").wait_for()
    assert "In progress" in page.locator(".status-line").inner_text()
    screenshot(page, "dispatch-on-scene")

    dispatch = Dispatch.objects.get()
    assert dispatch.resource.call_sign == "FAC-1"
    assert dispatch.on_scene_at is not None
    incident.refresh_from_db()
    assert incident.status == Status.IN_PROGRESS


def test_the_resource_reports_its_progress_from_the_status_link_on_a_phone(
    browser, server_url, reference_data
):
    from dispatch import links
    from tests.factories import send

    incident = log()
    dispatch = send(incident, resource("FAC-1"), channel="radio")
    phone = browser.new_context(base_url=server_url, viewport={"width": 390, "height": 800})
    page = phone.new_page()
    try:
        page.goto(f"/status/{links.token_for(dispatch.pk)}/")
        page.get_by_role("button", name="Acknowledged").click()
        page.locator("#done").wait_for()
        assert page.locator("#current-status").inner_text() == "Acknowledged"
        screenshot(page, "status-link-phone")
    finally:
        phone.close()
