"""A dispatch nobody has answered is not a response: the board says so beside the resource."""

import pytest

from dispatch import services as dispatch_services
from tests.e2e.test_board import row
from tests.e2e.test_board_dispatch import open_board
from tests.e2e.test_board_escalations import in_worker
from tests.factories import log, resource, send, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_board_warns_of_an_unconfirmed_briefing_until_the_dispatcher_confirms_it(
    new_page, reference_data
):
    # given a plumber sent by radio to a leak, without the "I have briefed them" tick
    leak = log(summary="Water through the ceiling")
    dispatch = send(leak, resource("FAC-1", name="Sam Patel (plumber)"), channel="radio")
    supervisor(username="sue")

    # when Sue opens the board
    board = open_board(new_page, "sue")

    # then the row says the briefing still awaits voice confirmation
    assigned = row(board, "Water through the ceiling").locator("td.assigned")
    assert "awaiting voice confirmation" in assigned.locator(".assignee-warning").inner_text()

    # and once the dispatcher confirms the briefing, the warning goes, live
    message_id = dispatch.messages.get().pk
    in_worker(
        lambda: dispatch_services.confirm_voice_briefing(
            message_id=message_id, actor=supervisor(username="sue")
        )
    )
    assigned.locator(".assignee-warning").wait_for(state="detached", timeout=3_000)
    assert "FAC-1" in assigned.inner_text()
