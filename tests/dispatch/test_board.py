"""The board's reads: rows, the snapshot and the resync answer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch import board
from incidents import services
from incidents.models import ImpactLevel, IncidentEvent, Status, UrgencyLevel
from tests.factories import log, supervisor

pytestmark = pytest.mark.django_db


def _snapshot_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        board.snapshot()
    return len(queries)


def test_snapshot_costs_the_same_queries_for_two_or_twenty_incidents(reference_data):
    for _ in range(2):
        log()
    few = _snapshot_queries()
    for _ in range(18):
        log()

    assert _snapshot_queries() == few


def test_snapshot_lists_open_incidents_by_priority_then_nearest_deadline(reference_data):
    high = ImpactLevel.objects.get(rank=1)
    p2_first = log(summary="first P2")
    p2_second = log(summary="second P2")
    p1 = log(impact=high, urgency=UrgencyLevel.objects.get(rank=1))
    closed = log()
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
    assert row["version"] == incident.version and row["open"] is True


def test_resync_returns_exactly_the_missed_events_with_current_rows(reference_data):
    seen = log()
    cursor = IncidentEvent.objects.latest("id").pk
    missed = log(summary="missed")
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
