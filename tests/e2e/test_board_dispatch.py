"""Two supervisors on the board: one dispatches the recommended resource from a row, the
other's board shows it live; the second, a moment too late, is told why not."""

import pytest
from playwright.sync_api import expect

from dispatch.demo import install_channel_rules
from dispatch.models import Dispatch
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_board import row
from tests.factories import log, resource, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_board(new_page, username):
    page = new_page()
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in(page, username)
    page.goto("/board/")
    page.locator("#connection[data-state=live]").wait_for()
    return page


def test_a_supervisor_dispatches_from_the_board_and_the_other_board_shows_it_live(
    new_page, reference_data
):
    # given a leak in Block B with a plumber nearby, a van further away, another open call
    install_channel_rules()
    leak = log(summary="Water through the ceiling", latitude="51.504000", longitude="-0.128800")
    log(summary="Dripping tap in the staff room")
    resource("FAC-1", name="Sam Patel (plumber)", position=("51.504100", "-0.128900"))
    resource("VAN-1", name="Maintenance van", kind="vehicle", position=("51.499000", "-0.120000"))
    supervisor(username="sue")
    supervisor(username="sam")
    sue = open_board(new_page, "sue")
    sam = open_board(new_page, "sam")
    assert "FAC-1" in sam.locator("#resources").inner_text()
    assert "Available" in sam.locator("#resources li", has_text="FAC-1").inner_text()

    # and both open the dispatch dialog on the leak; the nearest resource is first, with why
    for page in (sue, sam):
        row(page, "Water through the ceiling").get_by_role("button", name="Dispatch").click()
        page.locator("#recommendations li").first.get_by_text("13 m away").wait_for()
    first = sue.locator("#recommendations li").first
    assert "Dispatch FAC-1" in first.inner_text()
    screenshot(sue, "board-dispatch-dialog")

    # when Sue, having briefed the plumber by radio, dispatches it
    sue.get_by_label("I have briefed them by radio or phone just now").check()
    with sue.expect_request(lambda r: r.method == "POST" and "/dispatches/" in r.url) as sent:
        first.get_by_role("button", name="Dispatch FAC-1").click()
    sue.locator("#board-notice", has_text=f"FAC-1 dispatched to {leak.reference}").wait_for()
    # (safe to send again after a lost answer: the write carries its retry key)
    assert sent.value.headers.get("idempotency-key")

    # then Sam, a moment late, is told why his dispatch was not made
    sam.locator("#recommendations li").first.get_by_role("button", name="Dispatch FAC-1").click()
    error = sam.locator("#dispatch-error")
    error.wait_for()
    assert "FAC-1" in error.inner_text() and leak.reference in error.inner_text()
    sam.locator("#recommendations li", has_text="VAN-1").first.wait_for()
    assert "FAC-1" not in sam.locator("#recommendations").inner_text()  # the list is fresh
    screenshot(sam, "board-dispatch-conflict")
    sam.keyboard.press("Escape")
    assert not sam.locator("#dispatch-dialog").is_visible()

    # and his board, never reloaded, shows the plumber on the leak in the row and the panel
    leak_row = row(sam, "Water through the ceiling")
    leak_row.locator("td.assigned", has_text="FAC-1").wait_for(timeout=2_000)
    assert "Dispatched" in leak_row.locator("td.assigned").inner_text()
    assert "Dispatched" in leak_row.locator("td.status").inner_text()
    panel = sam.locator("#resources li", has_text="FAC-1")
    assert "Dispatched" in panel.inner_text()
    assert f"→ {leak.reference}" in panel.inner_text()

    # and "Unassigned only" leaves the call nobody is on yet
    sam.get_by_label("Unassigned only").check()
    expect(row(sam, "Water through the ceiling")).to_have_count(0)
    expect(row(sam, "Dripping tap in the staff room")).to_have_count(1)
    sam.get_by_label("Unassigned only").uncheck()
    screenshot(sam, "board-after-dispatch")

    dispatch = Dispatch.objects.get()
    assert (dispatch.resource.call_sign, dispatch.incident_id) == ("FAC-1", leak.pk)
