from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, Invalid, InvalidTransition
from incidents import selectors, services
from incidents.lifecycle import SLA_TIMERS
from incidents.models import (
    EventKind,
    ImpactLevel,
    Incident,
    IncidentEvent,
    Status,
    TimerKind,
    UrgencyLevel,
)
from tests.factories import agent, call_details, log, minor, on_dispatch, supervisor

pytestmark = pytest.mark.django_db


def test_log_incident_computes_priority_from_the_matrix_and_writes_the_timeline(reference_data):
    # given an agent taking a call: medium impact, high urgency → P2 in the demo matrix
    user = agent()

    # when
    incident = services.log_incident(actor=user, **call_details()).incident

    # then
    assert incident.priority.code == "P2"
    assert incident.matrix_version == 1
    assert incident.created_by == user
    assert incident.reference == f"INC-{incident.pk:06d}"
    event = incident.events.get()
    assert event.kind == EventKind.LOGGED
    assert event.data["priority"] == "P2"


def test_log_incident_starts_the_sla_timers_from_the_priority_targets(reference_data):
    incident = log()

    timers = {t.kind: t for t in incident.timers.all()}

    assert set(timers) == set(SLA_TIMERS)
    response = timers[TimerKind.RESPONSE]
    assert response.due_at - response.started_at == incident.priority.response_target


def test_service_requests_run_no_incident_sla(reference_data):
    incident = log(record_type="service_request", location="")

    assert not incident.timers.exists()


def test_every_missing_mandatory_field_is_named(reference_data):
    with pytest.raises(Invalid) as refused:
        services.log_incident(
            actor=agent(),
            contact_channel="",
            category=None,
            summary="",
            impact=None,
            urgency=None,
        )

    assert set(refused.value.errors) == {
        "contact_channel",
        "caller_name",
        "caller_phone",
        "caller_email",
        "location",
        "category",
        "summary",
        "impact",
        "urgency",
    }
    assert not Incident.objects.exists()


def test_location_is_optional_for_a_query_but_contact_is_not(reference_data):
    with pytest.raises(Invalid) as refused:
        log(record_type="query", location="", caller_phone="")

    assert set(refused.value.errors) == {"caller_phone", "caller_email"}


def test_publish_happens_only_after_commit(reference_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        log()

    assert len(callbacks) == 1


def test_a_rolled_back_incident_publishes_nothing(
    reference_data, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        log()
        raise RuntimeError("caller hung up and the form was abandoned")

    assert callbacks == []
    assert not Incident.objects.exists()


def test_stale_version_is_refused_with_conflict(reference_data):
    incident = log()
    services.update_incident(
        incident_id=incident.pk,
        actor=agent(),
        expected_version=1,
        changes={"summary": "Ceiling has collapsed"},
    )

    with pytest.raises(Conflict) as refused:
        services.update_incident(
            incident_id=incident.pk,
            actor=agent(),
            expected_version=1,
            changes={"summary": "Small drip"},
        )

    assert refused.value.current_version == 2
    incident.refresh_from_db()
    assert incident.summary == "Ceiling has collapsed"


def test_update_records_what_changed(reference_data):
    incident = log()

    services.update_incident(
        incident_id=incident.pk,
        actor=agent(),
        expected_version=1,
        changes={"location": "Block B, 3rd floor kitchen"},
    )

    event = incident.events.get(kind=EventKind.UPDATED)
    assert event.data["changes"] == {
        "location": ["Block B, 2nd floor kitchen", "Block B, 3rd floor kitchen"]
    }


def test_update_cannot_blank_a_mandatory_field(reference_data):
    incident = log()

    with pytest.raises(Invalid) as refused:
        services.update_incident(
            incident_id=incident.pk, actor=agent(), expected_version=1, changes={"location": ""}
        )

    assert "location" in refused.value.errors


def test_logged_cannot_jump_to_closed(reference_data):
    incident = log()

    with pytest.raises(InvalidTransition):
        services.change_status(incident_id=incident.pk, actor=agent(), to_status=Status.CLOSED)


def test_cancelling_needs_a_reason(reference_data):
    incident = minor()

    with pytest.raises(Invalid):
        services.change_status(incident_id=incident.pk, actor=agent(), to_status="cancelled")


def test_status_change_is_on_the_timeline_with_its_reason(reference_data):
    incident = minor()

    services.change_status(
        incident_id=incident.pk, actor=agent(), to_status="cancelled", reason="Hoax call"
    )

    event = incident.events.get(kind=EventKind.STATUS_CHANGED)
    assert event.data == {"from": "logged", "to": "cancelled"}
    assert event.rationale == "Hoax call"


def test_on_hold_pauses_the_clock_and_resuming_pushes_the_deadline(reference_data):
    incident = log()
    resolution = incident.timers.get(kind=TimerKind.RESOLUTION)
    on_dispatch(incident)
    services.change_status(incident_id=incident.pk, actor=agent(), to_status="in_progress")
    services.change_status(
        incident_id=incident.pk, actor=agent(), to_status="on_hold", reason="Waiting on landlord"
    )
    paused = incident.timers.get(kind=TimerKind.RESOLUTION)
    assert paused.paused_at is not None
    # Pretend the hold lasted an hour.
    paused.paused_at -= timedelta(hours=1)
    paused.save(update_fields=["paused_at"])

    services.change_status(incident_id=incident.pk, actor=agent(), to_status="in_progress")

    resumed = incident.timers.get(kind=TimerKind.RESOLUTION)
    assert resumed.paused_at is None
    assert resumed.due_at - resolution.due_at >= timedelta(hours=1)


def test_reprioritise_needs_a_reason_and_moves_the_deadlines(reference_data):
    incident = log()
    with pytest.raises(Invalid):
        services.reprioritise(
            incident_id=incident.pk,
            actor=supervisor(),
            impact=incident.impact,
            urgency=incident.urgency,
            reason=" ",
        )

    services.reprioritise(
        incident_id=incident.pk,
        actor=supervisor(),
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
        reason="Water reaching the switch room",
    )

    incident.refresh_from_db()
    assert incident.priority.code == "P1"
    response = incident.timers.get(kind=TimerKind.RESPONSE)
    assert response.due_at == response.started_at + timedelta(minutes=15)
    event = incident.events.get(kind=EventKind.REPRIORITISED)
    assert event.data["from_priority"] == "P2" and event.data["to_priority"] == "P1"


def test_a_second_call_links_to_the_parent_and_both_timelines_say_so(reference_data):
    parent = log()

    child = log(parent=parent, caller_name="Second caller")

    assert child.parent == parent
    assert parent.events.filter(kind=EventKind.CHILD_LINKED).count() == 1


def test_link_refuses_a_chain(reference_data):
    root, middle, leaf = log(), log(), log()
    services.link_to_parent(incident_id=middle.pk, parent_id=root.pk, actor=agent())

    with pytest.raises(Invalid):
        services.link_to_parent(incident_id=leaf.pk, parent_id=middle.pk, actor=agent())


def test_unlink_needs_a_reason_and_records_it_on_both(reference_data):
    parent = log()
    child = log(parent=parent)

    services.unlink(incident_id=child.pk, actor=agent(), reason="Different building")

    child.refresh_from_db()
    assert child.parent is None
    assert parent.events.filter(kind=EventKind.CHILD_UNLINKED).exists()


def test_the_timeline_cannot_be_edited(reference_data):
    event = log().events.get()
    event.rationale = "rewritten"

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert IncidentEvent.objects.get(pk=event.pk).rationale == ""


def test_matrix_must_be_complete(reference_data):
    with pytest.raises(Invalid):
        services.save_matrix(cells={}, actor=None)


def test_received_at_defaults_to_now(reference_data):
    before = timezone.now()
    assert log().received_at >= before


def test_a_matrix_save_over_a_newer_version_is_a_conflict(reference_data):
    grid = selectors.matrix_grid()
    cells = {key: priority.pk for key, priority in grid["cells"].items()}

    with pytest.raises(Conflict):
        services.save_matrix(cells=cells, actor=None, expected_version=grid["matrix"].version - 1)
