"""What a dispatcher relies on while the board changes under her: focus stays where she
is working, new calls are marked, a signed-out board says so and stops, and a restarted
server has the board live again within seconds."""

import time

import pytest

from customer_care import services as care
from dispatch.demo import install_channel_rules
from incidents.models import Category, ImpactLevel, UrgencyLevel
from tests.e2e.conftest import COUNT_AUDIO, log_in, start_daphne, stop_daphne
from tests.e2e.test_board import open_page, row
from tests.e2e.test_board_dispatch import open_board
from tests.e2e.test_board_escalations import in_worker
from tests.factories import agent, log, resource, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def p1(summary: str):
    return log(
        summary=summary,
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        category=Category.objects.get(slug="fire-smoke"),
    )


def focused(page) -> str:
    return page.evaluate(
        "() => document.activeElement.getAttribute('aria-label')"
        " || document.activeElement.textContent"
    )


def test_live_updates_keep_focus_in_the_open_dispatch_dialog_and_on_the_row(
    new_page, reference_data
):
    # given a leak with a plumber nearby, and Sue's board with the dispatch dialog open on it
    install_channel_rules()
    leak = log(summary="Water through the ceiling", latitude="51.504000", longitude="-0.128800")
    log(summary="Dripping tap in the staff room")
    resource("FAC-1", name="Sam Patel (plumber)", position=("51.504100", "-0.128900"))
    supervisor(username="sue")
    sue = open_board(new_page, "sue")
    dispatch = row(sue, "Water through the ceiling").get_by_role("button", name="Dispatch")
    dispatch.click()
    sue.locator("#recommendations").get_by_role("button", name="Dispatch FAC-1").wait_for()
    assert focused(sue) == "Dispatch FAC-1"

    # when the leak's row changes (an update to the caller) and a P1 arrives above it
    in_worker(
        lambda: care.give_customer_update(
            incident_id=leak.pk, actor=agent(), channel="phone", message="Plumber on the way."
        )
    )
    in_worker(lambda: p1("Smoke from the plant room"))
    row(sue, "Smoke from the plant room").wait_for(timeout=2_000)

    # then the dialog is still open and focus is still on the button she was about to press
    assert sue.locator("#dispatch-dialog").is_visible()
    assert focused(sue) == "Dispatch FAC-1"

    # and closing it puts her back on the row's own Dispatch… button, which survived
    sue.keyboard.press("Escape")
    assert focused(sue) == f"Dispatch a resource to {leak.reference}"

    # and that button keeps focus while another call arrives and the rows move again
    in_worker(lambda: p1("Second fire: bins behind the kitchen"))
    row(sue, "Second fire: bins behind the kitchen").wait_for(timeout=2_000)
    assert focused(sue) == f"Dispatch a resource to {leak.reference}"


def test_a_new_call_is_marked_new_and_a_p1_also_flashes_and_beeps_on_one_audio_context(
    new_page, reference_data
):
    log(summary="Open before the board")
    supervisor(username="sam")
    board = new_page()
    board.add_init_script(COUNT_AUDIO)
    log_in(board, "sam")
    board.goto("/board/")
    board.locator("#connection[data-state=live]").wait_for()
    board.locator("body").click()  # a click unlocks audio (autoplay rules)
    assert "is-new" not in row(board, "Open before the board").get_attribute("class")

    # when an ordinary call comes in: it is marked new, without an alarm
    in_worker(lambda: log(summary="Tap dripping in block A"))
    fresh = row(board, "Tap dripping in block A")
    fresh.locator(".new-cue", has_text="NEW").wait_for(timeout=2_000)
    assert "is-new" in fresh.get_attribute("class")
    assert "alarm-row" not in fresh.get_attribute("class")
    assert not board.locator("#new-p1").is_visible()

    # when two P1s come in: each is marked new, flashes, is announced and beeps
    for summary in ("Fire in the print room", "Fire alarm in block D"):
        in_worker(lambda s=summary: p1(s))
        alarm = row(board, summary)
        alarm.locator(".new-cue").wait_for(timeout=2_000)
        assert "alarm-row" in alarm.get_attribute("class")
        board.locator("#new-p1", has_text=summary).wait_for()
    # one AudioContext for every beep (a new one per alarm grew the page without bound)
    assert board.evaluate("() => window.audioContextsMade") == 1


@pytest.mark.parametrize("code", [4401, 4403])
def test_a_board_the_server_signs_out_says_so_links_to_the_login_and_stops(
    new_page, reference_data, code
):
    # The server accepts, then closes with 4401 (session ended) or 4403 (no board
    # permission any more): here a stand-in for the server's socket closes it so.
    supervisor(username="sam")
    board = new_page()
    log_in(board, "sam")
    attempts = []

    def refuse(socket):
        attempts.append(socket.url)
        socket.close(code=code, reason="signed out")

    board.route_web_socket("**/ws/board/", refuse)
    board.goto("/board/?priority=P1")

    status = board.locator("#connection[data-state=refused]")
    status.get_by_role("link", name="Signed out — log in again").wait_for()
    link = status.get_by_role("link").get_attribute("href")
    assert link == "/login/?next=%2Fboard%2F%3Fpriority%3DP1"
    time.sleep(3)  # longer than the longest backoff
    assert len(attempts) == 1


def test_the_board_is_live_within_3_seconds_of_the_server_answering_again(
    browser,
    own_server,
    reference_data,
):
    url = f"http://127.0.0.1:{own_server['port']}"
    supervisor(username="sam")
    log(summary="Open all along")
    context, board = open_page(browser, url)
    try:
        log_in(board, "sam")
        board.goto("/board/")
        board.get_by_text("● Live").wait_for()

        # when the server is down long enough for the backoff to reach its cap
        stop_daphne(own_server["process"])
        board.locator("#connection[data-state=reconnecting]").wait_for()
        time.sleep(6)
        in_worker(lambda: log(summary="Logged while the board was cut off"))
        own_server["process"] = start_daphne(own_server["port"], own_server["db"])
        back = time.monotonic()

        # then it is live, with what it missed, within 3 seconds of Daphne answering
        board.locator("#connection[data-state=live]").wait_for(timeout=3_000)
        assert time.monotonic() - back < 3
        row(board, "Logged while the board was cut off").wait_for(timeout=500)
    finally:
        context.close()
