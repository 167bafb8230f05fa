"""A supervisor watches the live board while agents log calls, through a server restart."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from incidents.models import Category, ImpactLevel, Incident, UrgencyLevel
from tests.e2e.conftest import log_in, screenshot, start_daphne, stop_daphne
from tests.e2e.test_log_incident import type_call
from tests.factories import agent, log, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"


def open_page(browser, url):
    context = browser.new_context(base_url=url, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(5_000)
    return context, page


def log_elsewhere(**details):
    """Log through the service from a worker thread: Playwright's loop owns this one, and
    the publisher's async_to_sync refuses to run beside it."""

    def work():
        try:
            return log(**details)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def row(board, text):
    return board.locator("#rows tr", has_text=text)


def test_the_board_shows_every_call_live_and_catches_up_after_a_restart(
    browser, own_server, reference_data
):
    url = f"http://127.0.0.1:{own_server['port']}"
    supervisor(username="sam")
    agent(username="alice")
    log(summary="Already open when the board starts")
    contexts = []
    try:
        # given the supervisor's board, live
        context, board = open_page(browser, url)
        contexts.append(context)
        log_in(board, "sam")
        board.goto("/board/")
        board.get_by_text("● Live").wait_for()
        assert row(board, "Already open when the board starts").count() == 1

        # when an agent logs a call (with markup in its summary) in another browser
        context, desk = open_page(browser, url)
        contexts.append(context)
        log_in(desk, "alice")
        desk.goto("/incidents/new/")
        type_call(desk, location="Block C lobby", summary=PAYLOAD)
        desk.keyboard.press("Tab")
        desk.keyboard.press("Enter")
        desk.locator("#reference").wait_for()

        # then the board shows it within 2 seconds, as text, without a reload
        row(board, PAYLOAD).wait_for(timeout=2_000)
        assert board.title() != "pwned"
        assert board.locator("#rows img").count() == 0

        # when the server goes away, two more calls are logged, and it comes back
        stop_daphne(own_server["process"])
        board.get_by_text("Reconnecting…").wait_for()
        screenshot(board, "board-reconnecting")
        log_elsewhere(summary="Logged while the board was cut off")
        log_elsewhere(summary="Second call while cut off")
        own_server["process"] = start_daphne(own_server["port"], own_server["db"])

        # then both appear, once each, and the board says it is live again
        row(board, "Second call while cut off").wait_for(timeout=20_000)
        board.get_by_text("● Live").wait_for()
        for summary in ("Logged while the board was cut off", "Second call while cut off"):
            assert row(board, summary).count() == 1
        assert board.locator("#rows tr").count() == Incident.objects.count() == 4
        screenshot(board, "board-live")
    finally:
        for context in contexts:
            context.close()


def test_a_new_p1_is_impossible_to_miss_and_filters_stay_in_the_url(new_page, reference_data):
    supervisor(username="sam")
    log(summary="Ordinary leak")
    board = new_page()
    log_in(board, "sam")
    board.goto("/board/?category=water-leak")
    board.get_by_text("● Live").wait_for()

    # a P1 fire is logged while the board is filtered to water leaks
    high = {"impact": ImpactLevel.objects.get(rank=1), "urgency": UrgencyLevel.objects.get(rank=1)}
    log_elsewhere(
        summary="Smoke in the server room", category=Category.objects.get(slug="fire-smoke"), **high
    )

    banner = board.locator("#new-p1")
    banner.get_by_text("Smoke in the server room").wait_for()
    assert board.locator("#counters [data-priority=P1] .count").inner_text() == "1"
    assert row(board, "Smoke in the server room").count() == 0  # filtered out, yet announced

    # the supervisor clears the category filter; the URL follows
    board.select_option("#f-category", "")
    board.check("#f-unassigned")
    assert "unassigned=1" in board.url and "category" not in board.url
    row(board, "Smoke in the server room").wait_for()
    assert "alarm-row" in row(board, "Smoke in the server room").get_attribute("class")
    screenshot(board, "board-new-p1")

    board.reload()
    assert board.locator("#f-unassigned").is_checked()
