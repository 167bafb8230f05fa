"""The board's reads: rows, the snapshot and the resync answer."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from board import rows as board
from customer_care import services as care
from dispatch import selectors
from dispatch import services as dispatch_services
from dispatch.models import Resource
from escalation import services as escalation_services
from escalation.models import Trigger
from incidents import services
from incidents.models import ImpactLevel, IncidentEvent, Status, UrgencyLevel
from tests.factories import (
    acknowledge,
    escalation_policy,
    log,
    minor,
    on_dispatch,
    resource,
    send,
    supervisor,
)

pytestmark = pytest.mark.django_db


def _snapshot_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        board.snapshot()
    return len(queries)


def _dispatched(n: int, start: int) -> None:
    """n incidents, each with a resource on it."""
    for i in range(start, start + n):
        send(log(), resource(f"R{i}"))


def _p1(summary: str = "Smoke in the server room"):
    return log(
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        summary=summary,
    )


def _escalated(n: int) -> None:
    """n P1s, each with an escalation waiting for acknowledgement (the policy's P1 step)."""
    for i in range(n):
        _p1(f"Fire {i}")


@pytest.fixture
def p1_policy(reference_data):
    return escalation_policy(
        {"trigger": Trigger.P1_LOGGED, "name": "Tell the duty manager", "requires_ack": True}
    )


def test_snapshot_costs_the_same_queries_for_two_or_twenty_incidents(p1_policy):
    # given incidents, some with resources on them, some escalated, idle resources
    for _ in range(2):
        log()
    _dispatched(2, start=0)
    _escalated(1)
    resource("IDLE-1")
    few = _snapshot_queries()
    # when there are many more of each
    for _ in range(18):
        log()
    _dispatched(10, start=2)
    _escalated(7)
    resource("IDLE-2")

    # then the snapshot costs the same
    snapshot = board.snapshot()
    assert _snapshot_queries() == few
    assert sum(len(row["assigned"]) for row in snapshot["rows"]) == 12
    assert sum(len(row["alerts"]) for row in snapshot["rows"]) == 8
    assert len(snapshot["resources"]) == 14


def _board_of(n: int, *, start: int) -> None:
    """n more open incidents: every third with a resource on it, every fifth a P1 with an
    escalation waiting, and one call linked to another (its row reads its parent's clocks)."""
    for i in range(n):
        if i % 3 == 0:
            send(log(), resource(f"B{start + i}"))
        elif i % 5 == 0:
            _p1(f"Fire {start + i}")
        else:
            log()
    parent, child = log(), log()
    services.link_to_parent(incident_id=child.pk, parent_id=parent.pk, actor=supervisor())


@pytest.mark.slow
def test_snapshot_and_resync_cost_the_same_queries_for_ten_or_a_hundred_incidents(
    p1_policy, django_assert_max_num_queries
):
    # given ten open incidents
    _board_of(10, start=0)
    cursor = IncidentEvent.objects.latest("id").pk
    few = _snapshot_queries()
    # when there are a hundred, and a board missed the last few events
    _board_of(90, start=10)
    with CaptureQueriesContext(connection) as resync_queries:
        board.resync(cursor)

    # then the snapshot costs the same, a bounded number, and so does the resync
    with django_assert_max_num_queries(few):
        snapshot = board.snapshot()
    assert len(snapshot["rows"]) == 104
    assert len(resync_queries) <= few + 1  # the missed events
    assert few <= 10


def test_publishing_an_event_costs_the_same_queries_however_full_the_board(reference_data):
    # given a board with one incident, then with twenty
    first = log()
    with CaptureQueriesContext(connection) as one:
        board.incident_row(first.pk)
    _board_of(18, start=0)

    # then the row a live event carries costs the same queries
    with CaptureQueriesContext(connection) as many:
        row = board.incident_row(first.pk)
    assert len(many) == len(one)
    assert row["id"] == first.pk


def test_a_row_lists_the_escalations_waiting_for_acknowledgement(p1_policy):
    incident = _p1()

    [alert] = board.incident_row(incident.pk)["alerts"]

    assert (alert["step"], alert["level_label"]) == ("Tell the duty manager", "Agent")
    assert alert["needs_ack"] is True and alert["incident_id"] == incident.pk
    assert alert["fired_at"]


def test_an_acknowledged_escalation_leaves_the_row(p1_policy):
    incident = _p1()

    escalation_services.acknowledge_escalations(incident_id=incident.pk, actor=supervisor())

    assert board.incident_row(incident.pk)["alerts"] == []


def test_a_row_lists_the_resources_on_active_dispatches(reference_data):
    incident = log()
    plumber = resource("FAC-1", name="Sam Patel (plumber)")
    dispatch = send(incident, plumber)

    [assigned] = board.incident_row(incident.pk)["assigned"]

    assert (assigned["call_sign"], assigned["name"]) == ("FAC-1", "Sam Patel (plumber)")
    assert (assigned["status"], assigned["status_label"]) == ("dispatched", "Dispatched")
    assert assigned["dispatch_id"] == dispatch.pk


def test_a_cleared_resource_leaves_the_row(reference_data):
    incident = log()
    dispatch = send(incident, resource("FAC-1"))

    for step in ("on_scene", "cleared"):
        dispatch_services.progress_dispatch(
            dispatch_id=dispatch.pk, step=step, reason="", actor=supervisor(), via="test"
        )

    assert board.incident_row(incident.pk)["assigned"] == []


def test_the_resource_panel_is_the_dispatch_panel_with_current_incidents(reference_data):
    incident = log()
    send(incident, resource("FAC-1"))
    resource("VAN-1")

    panel = board.snapshot()["resources"]

    assert panel == selectors.resource_panel()
    busy = next(r for r in panel if r["call_sign"] == "FAC-1")
    assert busy["status_label"] == "Dispatched"
    assert busy["incident"] == {"id": incident.pk, "reference": incident.reference}
    # the live message for a resource carries the same shape
    assert busy == selectors.resource_row(Resource.objects.get(pk=busy["id"]))


def test_a_row_says_when_the_customer_update_is_overdue(reference_data, clock):
    incident = log()  # P2: the caller is owed an update within the hour

    on_time = board.incident_row(incident.pk)["customer_update"]
    clock.advance(minutes=61)
    late = board.incident_row(incident.pk)["customer_update"]

    assert on_time["overdue"] is False and late["overdue"] is True
    assert late["due_at"] == on_time["due_at"]


def test_a_row_owes_no_update_once_resolved(reference_data):
    from tests.factories import resolve

    incident = log()
    resolve(incident)

    assert board.incident_row(incident.pk)["customer_update"] is None


def test_a_resolved_row_offers_no_dispatch(reference_data):
    from tests.factories import resolve

    incident = log()
    assert board.incident_row(incident.pk)["takes_resources"] is True

    resolve(incident)

    assert board.incident_row(incident.pk)["takes_resources"] is False


def test_the_countdown_shows_the_customer_update_when_it_is_the_nearest_deadline(
    reference_data,
):
    # given a P2 whose response was met by a dispatch: resolution in 8 h, update in 1 h
    incident = log()
    acknowledge(send(incident, resource("FAC-1")))

    deadline = board.incident_row(incident.pk)["deadline"]

    assert deadline["kind"] == "customer_update"
    assert deadline["target_seconds"] == 60 * 60


def test_a_recorded_update_moves_the_countdown_to_the_next_update(reference_data, clock):
    incident = log()
    acknowledge(send(incident, resource("FAC-1")))
    clock.advance(minutes=30)

    care.give_customer_update(
        incident_id=incident.pk, actor=supervisor(), channel="phone", message="On the way."
    )

    row = board.incident_row(incident.pk)
    assert row["deadline"]["kind"] == "customer_update"
    assert row["deadline"]["due_at"] == (clock.now + timedelta(hours=1)).isoformat()


def test_snapshot_lists_open_incidents_by_priority_then_nearest_deadline(reference_data):
    high = ImpactLevel.objects.get(rank=1)
    p2_first = log(summary="first P2")
    p2_second = log(summary="second P2")
    p1 = log(impact=high, urgency=UrgencyLevel.objects.get(rank=1))
    closed = minor()
    services.change_status(
        incident_id=closed.pk, actor=None, to_status=Status.CANCELLED, reason="x"
    )

    ids = [row["id"] for row in board.snapshot()["rows"]]

    assert ids == [p1.pk, p2_first.pk, p2_second.pk]


def test_a_row_carries_the_next_unmet_deadline_and_empty_plug_in_lists(reference_data):
    incident = log()

    row = board.incident_row(incident.pk)

    assert row["deadline"]["kind"] == "response"
    assert row["deadline"]["target_seconds"] == 30 * 60
    assert row["assigned"] == [] and row["alerts"] == []
    assert row["customer_update"]["overdue"] is False
    assert row["version"] == incident.version and row["open"] is True


def test_resync_returns_exactly_the_missed_events_with_current_rows(reference_data):
    seen = log()
    cursor = IncidentEvent.objects.latest("id").pk
    missed = log(summary="missed")
    on_dispatch(missed)
    services.change_status(incident_id=missed.pk, actor=None, to_status=Status.DISPATCHED)

    answer = board.resync(cursor)

    kinds = [(e["incident_id"], e["kind"]) for e in answer["events"]]
    assert kinds == [(missed.pk, "logged"), (missed.pk, "status_changed")]
    assert answer["cursor"] == IncidentEvent.objects.latest("id").pk
    [row] = answer["rows"]
    assert (row["id"], row["status"]) == (missed.pk, "dispatched")
    assert seen.pk not in {r["id"] for r in answer["rows"]}


def test_resync_too_far_behind_answers_with_a_snapshot(reference_data, monkeypatch):
    monkeypatch.setattr(board, "RESYNC_LIMIT", 2)
    for _ in range(3):
        log()

    answer = board.resync(0)

    assert answer["reset"] is True
    assert len(answer["snapshot"]["rows"]) == 3


def test_resync_from_a_cursor_this_database_never_gave_reloads(reference_data):
    log()

    assert board.resync(10_000)["reset"] is True


def test_events_api_needs_board_permission(client, reference_data):
    from tests.factories import agent

    client.force_login(agent())

    assert client.get("/api/events/?after=0").status_code == 403


def test_events_api_refuses_a_missing_or_negative_cursor(client, reference_data):
    client.force_login(supervisor())

    assert client.get("/api/events/").status_code == 400
    assert client.get("/api/events/?after=-1").status_code == 400


def test_events_api_answers_what_was_missed(client, reference_data):
    client.force_login(supervisor())
    incident = log()

    answer = client.get("/api/events/?after=0").json()

    assert [e["reference"] for e in answer["events"]] == [incident.reference]
    assert answer["rows"][0]["reference"] == incident.reference


def test_board_page_is_for_supervisors_only(client, reference_data):
    from tests.factories import agent

    client.force_login(agent())
    assert client.get("/board/").status_code == 403
    client.force_login(supervisor())
    assert client.get("/board/").status_code == 200


def test_board_page_renders_in_constant_queries(client, reference_data):
    client.force_login(supervisor())
    log()
    with CaptureQueriesContext(connection) as few:
        client.get("/board/")
    for _ in range(10):
        log()
    with CaptureQueriesContext(connection) as many:
        client.get("/board/")

    assert len(many) == len(few)


def test_the_wall_board_has_no_navigation_filters_or_inline_script(client, reference_data):
    client.force_login(supervisor())

    desk = client.get("/board/").content.decode()
    wall = client.get("/board/?wall=1").content.decode()

    assert 'aria-label="Main"' in desk and 'id="filters"' in desk
    assert 'aria-label="Main"' not in wall and 'id="filters"' not in wall
    assert 'id="dispatch-dialog"' not in wall
    for page in (desk, wall):
        # CSP script-src 'self': the only scripts are the module file and JSON data
        scripts = re.findall(r"<script([^>]*)>", page)
        assert all('type="application/json"' in s or "src=" in s for s in scripts)
        assert "style=" not in page
        assert 'src="/static/js/board/main.mjs"' in page
