"""The board made for the wall and for the desk, with a realistic load (24 calls over
the last 25 minutes, a few resources sent, alerts waiting): read from across the
room, nothing overlapping at 1280x720, the header fixed. Screenshots go to shots/."""

from pathlib import Path

import pytest

from tests.e2e.board_load import demo_shift
from tests.e2e.conftest import log_in
from tests.e2e.test_board_escalations import in_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "shots"
MODES = {"desk": "/board/", "wall": "/board/?wall=1"}


@pytest.fixture
def shift(reference_data):
    return in_worker(demo_shift)


def open_board(browser, server_url, *, mode: str, width: int, height: int):
    context = browser.new_context(base_url=server_url, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(5_000)
    log_in(page, "supervisor", "supervisor-demo-pass")
    page.goto(MODES[mode])
    page.locator("#connection[data-state=live]").wait_for()
    return context, page


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def rows_in_view(page) -> int:
    """Incident rows wholly inside the window (what a supervisor sees without scrolling)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#rows tr.incident')]
            .filter((tr) => tr.getBoundingClientRect().bottom <= innerHeight).length"""
    )


def test_the_wall_has_no_navigation_and_shows_at_least_12_incidents_at_1080p(
    browser, server_url, shift
):
    context, wall = open_board(browser, server_url, mode="wall", width=1920, height=1080)
    try:
        shoot(wall, "wall-1920x1080")
        assert wall.locator("header.topbar, nav[aria-label=Main], #filters").count() == 0
        assert wall.locator("button").count() == 1  # the sound: audio needs a click to start
        assert wall.locator("#rows tr.alert-row").count() > 0  # the load includes alerts
        assert rows_in_view(wall) >= 12

        # large type: what a row says is 30 px or more, its labels 18 px (architecture.md)
        def sizes(selector):
            return wall.evaluate(
                """(selector) => [...document.querySelectorAll(selector)]
                    .filter((n) => n.offsetParent && n.textContent.trim())
                    .map((n) => parseFloat(getComputedStyle(n).fontSize))""",
                selector,
            )

        key = "#rows .badge, #rows td.ref a, #rows .summary, #rows .where, #rows .due-time"
        assert min(sizes(key)) >= 30
        assert min(sizes("#rows td, #rows td *")) >= 18
    finally:
        context.close()


@pytest.mark.parametrize("mode", MODES)
def test_nothing_overlaps_at_1280x720_and_the_header_stays_put(browser, server_url, shift, mode):
    context, page = open_board(browser, server_url, mode=mode, width=1280, height=720)
    try:
        shoot(page, f"{mode}-1280x720")
        # the header's parts sit side by side, none over another
        parts = page.evaluate(
            """() => [...document.querySelectorAll('.board-bar > *, .board-filters > *')]
                .filter((n) => n.offsetParent).map((n) => {
                    const r = n.getBoundingClientRect();
                    const id = n.id || n.className;
                    return {id, x: r.x, y: r.y, width: r.width, height: r.height};
                })"""
        )
        for i, a in enumerate(parts):
            for b in parts[i + 1 :]:
                assert not overlap(a, b), f"{a['id']} overlaps {b['id']}"
        # every column is inside the list, and nothing (the side panel) covers the last one
        listing = box(page, ".board-scroll")
        for th in page.locator("thead th").all():
            cell = th.bounding_box()
            assert cell["x"] + cell["width"] <= listing["x"] + listing["width"] + 1
        if mode == "desk":
            assert not overlap(box(page, "thead th:last-child"), box(page, ".side"))
            assert not overlap(listing, box(page, ".side"))
        assert rows_in_view(page) >= (10 if mode == "wall" else 8)
        # the header and counters stay where they are when the list scrolls
        counters = box(page, "#counters")
        page.locator(".board-scroll").evaluate("(node) => node.scrollBy(0, 400)")
        assert page.locator(".board-scroll").evaluate("(node) => node.scrollTop") > 0
        assert box(page, "#counters") == counters
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
    finally:
        context.close()


def test_the_desk_at_1080p(browser, server_url, shift):
    context, page = open_board(browser, server_url, mode="desk", width=1920, height=1080)
    try:
        shoot(page, "desk-1920x1080")
        assert page.locator("nav[aria-label=Main]").count() == 1
        assert not overlap(box(page, "thead th:last-child"), box(page, ".side"))
        assert rows_in_view(page) >= 12
    finally:
        context.close()
