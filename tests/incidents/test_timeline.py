"""The event catalogue: every kind declared, data checked, words rendered, old data upgraded."""

import ast
import io
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from customer_care.models import ClosureMethod, ResolutionCode, SatisfactionSource, UpdateChannel
from dispatch.models import DispatchStatus
from escalation.models import Action, Level, Trigger
from incidents import timeline
from incidents.models import ContactChannel, EventKind, RecordType, Status
from incidents.timeline import TimelineError, render, upgrade_legacy, validate
from messaging.channels import Channel
from messaging.models import DeliveryStatus, MessageKind

# 13:00 in London (BST) on 1 July 2026.
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
AGENT = SimpleNamespace(get_username=lambda: "agent1")


@pytest.fixture(autouse=True)
def centre_clock_and_labels():
    """The centre's time zone, a fixed now, and the labels each app registers at ready()."""
    for name, choices in {
        "status": Status,
        "contact_channel": ContactChannel,
        "record_type": RecordType,
        "update_channel": UpdateChannel,
        "resolution_code": ResolutionCode,
        "closure_method": ClosureMethod,
        "satisfaction_source": SatisfactionSource,
        "dispatch_channel": Channel,
        "dispatch_status": DispatchStatus,
        "delivery_status": DeliveryStatus,
        "message_kind": MessageKind,
        "escalation_level": Level,
        "escalation_action": Action,
        "escalation_trigger": Trigger,
    }.items():
        timeline.register_labels(name, choices)
    with (
        override_settings(TIME_ZONE="Europe/London"),
        mock.patch("django.utils.timezone.now", return_value=NOW),
    ):
        yield


def event(kind, data, *, actor=AGENT, at=NOW, rationale=""):
    return SimpleNamespace(kind=kind, data=data, actor=actor, at=at, rationale=rationale)


def kinds_of(table):
    return {row.values[0] for row in table}


# ---- The catalogue --------------------------------------------------------------------------


def test_every_event_kind_has_one_definition_and_nothing_else_has_one():
    declared = [entry["kind"] for entry in timeline.catalogue()]

    assert sorted(declared) == sorted(EventKind.values)
    assert len(declared) == len(set(declared))


def test_each_kind_reads_with_the_label_of_its_event_kind():
    for entry in timeline.catalogue():
        assert entry["label"] == EventKind(entry["kind"]).label


def test_catalogue_describes_fields_types_and_who_causes_each_kind():
    entries = {entry["kind"]: entry for entry in timeline.catalogue()}

    assert entries["resource_dispatched"]["caused_by"] == "person"
    assert entries["message_delivery"]["caused_by"] == "system"
    assert entries["dispatch_progress"]["caused_by"] == "any"
    assert {
        "name": "step",
        "type": "str",
        "optional": False,
        "labels": "dispatch_status",
        "caller": False,
    } in entries["dispatch_progress"]["fields"]
    assert {
        "name": "next_due_at",
        "type": "datetime",
        "optional": True,
        "labels": None,
        "caller": False,
    } in entries["customer_updated"]["fields"]
    assert {
        "name": "recipient",
        "type": "str",
        "optional": True,
        "labels": None,
        "caller": True,
    } in entries["customer_updated"]["fields"]
    assert {entry["caused_by"] for entry in entries.values()} <= {
        c.value for c in timeline.CausedBy
    }


def test_no_kind_has_a_field_for_pre_rendered_text():
    for entry in timeline.catalogue():
        assert "text" not in [field["name"] for field in entry["fields"]]


def test_the_timeline_module_imports_no_model_and_no_app():
    """upgrade_legacy runs inside a data migration: the module must stand alone."""
    source = Path(timeline.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)

    assert imported == {
        "re",
        "collections.abc",
        "dataclasses",
        "datetime",
        "enum",
        "typing",
        "django.utils",
    }


def test_the_committed_catalogue_doc_is_what_the_command_prints():
    printed = io.StringIO()
    call_command("timeline_catalogue", stdout=printed)

    committed = Path(settings.BASE_DIR, "docs", "timeline-catalogue.md").read_text()
    assert printed.getvalue() == committed, "Run: python manage.py timeline_catalogue"


# ---- validate -------------------------------------------------------------------------------


def test_an_unknown_kind_is_refused():
    with pytest.raises(TimelineError, match="Unknown timeline event kind 'resource_teleported'"):
        validate("resource_teleported", {})


def test_a_missing_required_field_is_refused_by_name_and_type():
    with pytest.raises(TimelineError, match=r"linked: missing required field 'parent' \(str\)"):
        validate("linked", {})


def test_an_unknown_extra_field_is_refused():
    with pytest.raises(TimelineError, match="resource_recalled: unknown field 'text'"):
        validate(
            "resource_recalled",
            {
                "text": "FAC-1 recalled",
                "dispatch_id": 9,
                "resource_id": 4,
                "resource": "FAC-1",
                "via": "dispatcher",
            },
        )


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("linked", {"parent": 12}, "field 'parent' must be str, not 12"),
        (
            "customer_update_failed",
            {"update_id": "8", "recipient": "a@example.com", "attempts": 3},
            "field 'update_id' must be int, not '8'",
        ),
        (
            "satisfaction_recorded",
            {"score": True, "source": "agent"},
            "field 'score' must be int, not True",
        ),
        (
            "escalated_manually",
            {"escalation_event_id": 40, "action": "raise_level", "level": "Duty manager"},
            "field 'level' must be int, not 'Duty manager'",
        ),
        (
            "incident_acknowledged",
            {"response_due_at": "2026-07-01T13:15:00"},
            "field 'response_due_at' must be an ISO-8601 time with a UTC offset",
        ),
        (
            "incident_acknowledged",
            {"response_due_at": "13:15"},
            "field 'response_due_at' must be an ISO-8601 time with a UTC offset",
        ),
        (
            "escalation_acknowledged",
            {"escalation_event_ids": [31, "32"], "steps": []},
            "field 'escalation_event_ids' must be list\\[int\\]",
        ),
        (
            "customer_updated",
            {"update_id": 7, "channel": "phone", "next_due_at": 1751371200},
            "field 'next_due_at' must be an ISO-8601 time with a UTC offset or null",
        ),
        ("updated", {"changes": {"location": "Level 3"}}, "field 'changes' must be changes"),
    ],
)
def test_a_wrongly_typed_value_is_refused(kind, data, message):
    with pytest.raises(TimelineError, match=message):
        validate(kind, data)


def test_every_problem_is_named_at_once():
    with pytest.raises(TimelineError) as refused:
        validate("status_changed", {"from": "logged", "too": "dispatched"})

    assert str(refused.value) == (
        "status_changed: unknown field 'too'; missing required field 'to' (str)."
    )


def test_data_that_is_not_a_dict_is_refused():
    with pytest.raises(TimelineError, match="data must be a dict, not list"):
        validate("details_confirmed", [])


def test_optional_fields_left_out_are_stored_as_null_in_catalogue_order():
    cleaned = validate("customer_updated", {"channel": "phone", "update_id": 7})

    assert list(cleaned.items()) == [
        ("update_id", 7),
        ("channel", "phone"),
        ("recipient", None),
        ("via_parent", None),
        ("next_due_at", None),
    ]


def test_times_are_stored_in_utc():
    cleaned = validate("incident_acknowledged", {"response_due_at": "2026-07-01T14:15:00+01:00"})

    assert cleaned == {"response_due_at": "2026-07-01T13:15:00+00:00"}


# ---- render ---------------------------------------------------------------------------------

# One sample of every kind in today's shape, and its words (13:00 London time is now).
NEW_SHAPES = [
    (
        "logged",
        {
            "priority": "P2",
            "impact": "Major",
            "urgency": "High",
            "matrix_version": 3,
            "details_confirmed": True,
        },
        AGENT,
        "Logged as P2 (impact Major, urgency High)",
    ),
    (
        "updated",
        {"changes": {"location": ["Level 2", "Level 3"], "contact_channel": ["phone", "email"]}},
        AGENT,
        "Details updated: location “Level 2” → “Level 3”; contact channel “Phone” → “Email”",
    ),
    ("details_confirmed", {}, AGENT, "Details read back to the caller and confirmed"),
    (
        "status_changed",
        {"from": "logged", "to": "dispatched"},
        AGENT,
        "Status: Logged → Dispatched",
    ),
    (
        "reprioritised",
        {
            "from_priority": "P3",
            "to_priority": "P2",
            "from_impact": "Minor",
            "to_impact": "Major",
            "from_urgency": "High",
            "to_urgency": "High",
            "matrix_version": 3,
            "by_escalation": False,
        },
        AGENT,
        "Priority P3 → P2 (impact Minor → Major, urgency High)",
    ),
    ("linked", {"parent": "INC-000012"}, AGENT, "Linked to INC-000012"),
    ("unlinked", {"parent": "INC-000012"}, AGENT, "Unlinked from INC-000012"),
    ("child_linked", {"child": "INC-000013"}, AGENT, "Call INC-000013 linked to this incident"),
    (
        "child_unlinked",
        {"child": "INC-000013"},
        AGENT,
        "Call INC-000013 unlinked from this incident",
    ),
    (
        "customer_updated",
        {"update_id": 7, "channel": "phone", "next_due_at": "2026-07-01T14:00:00+00:00"},
        AGENT,
        "Customer updated by phone call; next update due 15:00",
    ),
    (
        "customer_update_queued",
        {"update_id": 8, "channel": "sms", "recipient": "+447700900123"},
        AGENT,
        "Customer update queued: SMS to +447700900123",
    ),
    (
        "customer_update_failed",
        {"update_id": 8, "channel": "email", "recipient": "ann@example.com", "attempts": 3},
        None,
        "Customer update by email to ann@example.com failed after 3 attempts",
    ),
    (
        "resolved",
        {"from": "in_progress", "code": "workaround", "via_parent": "INC-000012"},
        AGENT,
        "Resolved: Workaround in place (with INC-000012)",
    ),
    (
        "closed",
        {
            "from": "resolved",
            "method": "phone",
            "confirmed_by": "Ann Lee",
            "confirmed_at": "2026-06-28T08:05:00+00:00",
        },
        AGENT,
        "Closed: Confirmed by phone by Ann Lee at 28 Jun 09:05",
    ),
    (
        "closed_without_confirmation",
        {"from": "resolved"},
        None,
        "Closed without confirmation: the customer did not answer",
    ),
    ("reopened", {"from": "closed"}, AGENT, "Reopened (was Closed)"),
    (
        "satisfaction_recorded",
        {"score": 4, "source": "link"},
        None,
        "Satisfaction 4/5 (given by the customer through the emailed link)",
    ),
    (
        "satisfaction_link_sent",
        {"recipient": "ann@example.com", "expires_at": "2026-07-15T10:00:00+00:00"},
        None,
        "Satisfaction survey sent to ann@example.com (link valid until 15 Jul 11:00)",
    ),
    (
        "resource_dispatched",
        {
            "dispatch_id": 9,
            "resource_id": 4,
            "resource": "FAC-1",
            "channel": "radio",
            "override": True,
            "refusals": ["not_skilled"],
        },
        AGENT,
        "FAC-1 dispatched by radio (override)",
    ),
    (
        "dispatch_progress",
        {
            "dispatch_id": 9,
            "resource_id": 4,
            "resource": "FAC-1",
            "step": "en_route",
            "via": "status_link",
        },
        None,
        "FAC-1 en route (reported by the resource via status link)",
    ),
    (
        "resource_recalled",
        {"dispatch_id": 9, "resource_id": 4, "resource": "FAC-1", "via": "dispatcher"},
        AGENT,
        "FAC-1 recalled",
    ),
    (
        "briefing_confirmed",
        {
            "message_id": 21,
            "dispatch_id": 9,
            "resource_id": 4,
            "resource": "FAC-1",
            "channel": "phone",
            "briefed_at": "2025-12-24T21:40:00+00:00",
        },
        AGENT,
        "FAC-1 briefed by phone at 24 Dec 2025 21:40",
    ),
    (
        "message_delivery",
        {
            "message_id": 22,
            "message_kind": "briefing",
            "resource": "VAN-1",
            "channel": "im",
            "status": "failed",
            "attempts": 3,
        },
        None,
        "Dispatch briefing to VAN-1 by instant message: failed after 3 attempts",
    ),
    (
        "broadcast_sent",
        {
            "broadcast_id": 5,
            "group_id": 2,
            "group": "Night shift",
            "channel": "sms",
            "recipients": ["FAC-1", "FAC-2", "VAN-1"],
        },
        AGENT,
        "Broadcast to Night shift by SMS (3 recipients)",
    ),
    (
        "escalation_fired",
        {
            "escalation_event_id": 33,
            "step_id": 3,
            "step": "Response 50%",
            "trigger": "response_elapsed",
            "action": "notify",
            "repetition": 2,
            "attempt": 2,
            "level": 1,
            "needs_ack": True,
            "notify_group": "Supervisors",
            "due_at": "2026-07-01T11:40:00+00:00",
        },
        None,
        "Reminded Supervisors — needs acknowledgement (2nd reminder); "
        "step “Response 50%” (Response target % elapsed)",
    ),
    (
        "escalation_acknowledged",
        {"escalation_event_ids": [31, 34], "steps": ["P1 logged", "Response 50%"]},
        AGENT,
        "Escalation acknowledged: P1 logged, Response 50%",
    ),
    (
        "escalated_manually",
        {"escalation_event_id": 40, "action": "raise_level", "level": 2},
        AGENT,
        "Escalated by hand to Duty manager",
    ),
    (
        "escalated_manually",
        {
            "escalation_event_id": 41,
            "action": "specialist",
            "level": 1,
            "team": "Hazmat",
            "needs_ack": True,
            "notify_group": "Hazmat",
        },
        AGENT,
        "Escalated by hand to the Hazmat team — needs acknowledgement",
    ),
    (
        "response_met",
        {"how": "acknowledged_dispatch", "dispatch_id": 4},
        None,
        "Response target met: a dispatched resource acknowledged",
    ),
    (
        "alerts_closed",
        {"escalation_event_ids": [7, 9], "because": "resolved"},
        None,
        "2 escalation alerts closed: the incident was resolved",
    ),
    (
        "policy_reapplied",
        {"from_policy": "Standard", "to_policy": "P1 major incident", "step_count": 4},
        AGENT,
        "Escalation policy re-applied: Standard → P1 major incident (4 steps)",
    ),
    (
        "incident_acknowledged",
        {"response_due_at": "2026-07-01T12:15:00+00:00"},
        AGENT,
        "Acknowledged: response met (due 13:15)",
    ),
    (
        "caller_redacted",
        {"events": [3, 5], "fields": ["caller_name"], "because": "retention"},
        None,
        "Caller details erased (retention period ended): 2 events rewritten",
    ),
]


def test_the_render_table_covers_every_kind():
    assert {row[0] for row in NEW_SHAPES} == set(EventKind.values)


@pytest.mark.parametrize(("kind", "data", "actor", "words"), NEW_SHAPES)
def test_render_gives_the_words_for_each_kind(kind, data, actor, words):
    stored = validate(kind, data)

    assert render(event(kind, stored, actor=actor)) == words


@pytest.mark.parametrize(
    ("kind", "data", "actor", "at", "words"),
    [
        (
            "escalation_fired",
            {
                "escalation_event_id": 35,
                "step": "Response 50%",
                "trigger": "response_elapsed",
                "action": "raise_level",
                "repetition": 3,
                "attempt": 3,
                "level": 2,
                "needs_ack": True,
                "notify_level": 2,
            },
            None,
            NOW,
            "Escalated to Duty manager — needs acknowledgement (after 2 unanswered reminders); "
            "step “Response 50%” (Response target % elapsed)",
        ),
        (
            "escalation_fired",
            {
                "escalation_event_id": 36,
                "step": "Hand to network",
                "trigger": "p1_logged",
                "action": "specialist",
                "repetition": 0,
                "attempt": 0,
                "level": 0,
                "team": "Network",
                "needs_ack": False,
            },
            None,
            NOW,
            "Handed to the Network team; step “Hand to network” (Priority 1 logged)",
        ),
        (
            "reprioritised",
            {"from_priority": "P3", "to_priority": "P2", "by_escalation": True},
            None,
            NOW,
            "Priority P3 → P2 (raised by escalation)",
        ),
        (
            "dispatch_progress",
            {
                "dispatch_id": 9,
                "resource_id": 4,
                "resource": "FAC-1",
                "step": "on_scene",
                "via": "api",
            },
            AGENT,
            NOW,
            "FAC-1 on scene",
        ),
        (
            "closed",
            {"from": "resolved", "method": "with_parent", "via_parent": "INC-000012"},
            AGENT,
            NOW,
            "Closed with INC-000012",
        ),
        (
            "incident_acknowledged",
            {"response_due_at": "2026-07-01T11:45:00+00:00"},
            AGENT,
            NOW,
            "Acknowledged: response given after the 12:45 target",
        ),
        (
            "message_delivery",
            {
                "message_id": 23,
                "message_kind": "briefing",
                "resource": "FAC-1",
                "channel": "email",
                "status": "sent",
                "attempts": 1,
            },
            None,
            NOW,
            "Dispatch briefing to FAC-1 by email: sent",
        ),
    ],
)
def test_render_variants(kind, data, actor, at, words):
    assert render(event(kind, validate(kind, data), actor=actor, at=at)) == words


def test_times_read_in_the_centre_time_zone_in_winter_too():
    due = "2026-01-10T09:30:00+00:00"  # GMT: 09:30 in London

    assert render(event("incident_acknowledged", {"response_due_at": due})) == (
        "Acknowledged: response given after the 10 Jan 09:30 target"
    )


def test_a_label_nobody_registered_reads_as_its_code():
    assert timeline.label("escalation_trigger", "meteor_strike") == "meteor_strike"
    assert timeline.label("escalation_level", 2) == "Duty manager"


def test_labels_may_be_registered_from_pairs_or_a_mapping():
    timeline.register_labels("record_type", [("incident", "Incident")])
    assert timeline.label("record_type", "incident") == "Incident"

    timeline.register_labels("record_type", {"query": "Query"})
    assert timeline.label("record_type", "query") == "Query"
    assert timeline.label("record_type", "incident") == "incident"


def test_a_label_name_outside_the_catalogue_is_refused():
    with pytest.raises(TimelineError, match="Unknown label name 'colour'"):
        timeline.register_labels("colour", {"red": "Red"})


def test_an_unknown_kind_still_renders_as_words():
    assert render(event("meteor_strike", {})) == "Meteor strike"


# ---- upgrade_legacy -------------------------------------------------------------------------

# Data exactly as the current (and earlier) call sites wrote it, and how it reads upgraded.
OLD_SHAPES = [
    pytest.param(
        "logged",
        {
            "priority": "P1",
            "impact": "Major",
            "urgency": "High",
            "matrix_version": 2,
            "details_confirmed": False,
            "parent": "INC-000012",
        },
        AGENT,
        "Logged as P1 (impact Major, urgency High), linked to INC-000012",
        {"parent": "INC-000012"},
        id="logged",
    ),
    pytest.param(
        "updated",
        {
            "changes": {
                "asset_refs": [[], ["LIFT-2"]],
                "latitude": [None, "51.500000"],
                "category": ["Lifts", "Escalators"],
            }
        },
        AGENT,
        "Details updated: asset refs “(empty)” → “LIFT-2”; latitude “(empty)” → “51.500000”; "
        "category “Lifts” → “Escalators”",
        {},
        id="updated",
    ),
    pytest.param(
        "details_confirmed", {}, AGENT, "Details read back to the caller and confirmed", {}
    ),
    pytest.param(
        "status_changed",
        {"from": "dispatched", "to": "in_progress"},
        None,
        "Status: Dispatched → In progress",
        {},
    ),
    pytest.param(
        "reprioritised",
        {
            "from": {"impact": "Minor", "urgency": "High", "priority": "P3"},
            "to": {"impact": "Major", "urgency": "Medium", "priority": "P2"},
            "matrix_version": 3,
        },
        AGENT,
        "Priority P3 → P2 (impact Minor → Major, urgency High → Medium)",
        {"from_priority": "P3", "to_urgency": "Medium", "by_escalation": False},
        id="reprioritised-by-matrix",
    ),
    pytest.param(
        "reprioritised",
        {"from": {"priority": "P3"}, "to": {"priority": "P2"}, "escalation": True},
        None,
        "Priority P3 → P2 (raised by escalation)",
        {"by_escalation": True, "from_impact": None, "matrix_version": None},
        id="reprioritised-by-escalation",
    ),
    pytest.param("linked", {"parent": "INC-000012"}, AGENT, "Linked to INC-000012", {}),
    pytest.param("unlinked", {"parent": "INC-000012"}, AGENT, "Unlinked from INC-000012", {}),
    pytest.param(
        "child_linked",
        {"child": "INC-000013"},
        AGENT,
        "Call INC-000013 linked to this incident",
        {},
    ),
    pytest.param(
        "child_unlinked",
        {"child": "INC-000013"},
        AGENT,
        "Call INC-000013 unlinked from this incident",
        {},
    ),
    pytest.param(
        "customer_updated",
        {
            "update": 7,
            "channel": "phone",
            "via_parent": None,
            "next_due": "2026-07-01T14:00:00+00:00",
        },
        AGENT,
        "Customer updated by phone call; next update due 15:00",
        {"update_id": 7, "recipient": None, "next_due_at": "2026-07-01T14:00:00+00:00"},
        id="customer_updated-recorded",
    ),
    pytest.param(
        "customer_updated",
        {
            "update": 8,
            "channel": "email",
            "recipient": "ann@example.com",
            "via_parent": "INC-000012",
            "next_due": None,
        },
        AGENT,
        "Customer updated by email to ann@example.com (with INC-000012)",
        {"update_id": 8, "next_due_at": None},
        id="customer_updated-sent",
    ),
    pytest.param(
        "customer_update_queued",
        {"update": 8, "channel": "sms", "via_parent": None, "recipient": "+447700900123"},
        AGENT,
        "Customer update queued: SMS to +447700900123",
        {"update_id": 8},
    ),
    pytest.param(
        "customer_update_failed",
        {"update": 8, "recipient": "ann@example.com", "attempts": 3},
        None,
        "Customer update to ann@example.com failed after 3 attempts",
        {"update_id": 8, "channel": None},
    ),
    pytest.param(
        "resolved",
        {
            "from": "in_progress",
            "to": "resolved",
            "code": "Workaround in place",
            "via_parent": None,
        },
        AGENT,
        "Resolved: Workaround in place",
        {"code": "workaround"},
    ),
    pytest.param(
        "closed",
        {
            "from": "resolved",
            "to": "closed",
            "method": "Confirmed by phone",
            "confirmed_by": "Ann Lee",
            # A confirmation time typed on the form, stored with London's offset.
            "confirmed_at": "2026-07-01T11:15:00+01:00",
            "via_parent": None,
        },
        AGENT,
        "Closed: Confirmed by phone by Ann Lee at 11:15",
        {"method": "phone", "confirmed_at": "2026-07-01T10:15:00+00:00"},
        id="closed-confirmed",
    ),
    pytest.param(
        "closed",
        {
            "from": "resolved",
            "to": "closed",
            "method": "Closed with its parent incident",
            "confirmed_by": "",
            "confirmed_at": None,
            "via_parent": "INC-000012",
        },
        AGENT,
        "Closed with INC-000012",
        {"method": "with_parent", "confirmed_by": None},
        id="closed-with-parent",
    ),
    pytest.param(
        "closed_without_confirmation",
        {
            "from": "resolved",
            "to": "closed",
            "method": "Closed without confirmation (no answer)",
            "confirmed_by": "",
            "confirmed_at": None,
            "via_parent": None,
        },
        None,
        "Closed without confirmation: the customer did not answer",
        {"from": "resolved"},
    ),
    pytest.param(
        "reopened", {"from": "closed", "to": "reopened"}, AGENT, "Reopened (was Closed)", {}
    ),
    pytest.param(
        "satisfaction_recorded",
        {"score": 5, "source": "Given on a call, recorded by the agent"},
        AGENT,
        "Satisfaction 5/5 (given on a call, recorded by the agent)",
        {"source": "agent"},
    ),
    pytest.param(
        "satisfaction_link_sent",
        {"recipient": "ann@example.com", "expires_at": "2026-07-15T10:00:00+00:00"},
        None,
        "Satisfaction survey sent to ann@example.com (link valid until 15 Jul 11:00)",
        {},
    ),
    pytest.param(
        "resource_dispatched",
        {
            "text": "FAC-1 Facilities team dispatched by radio (override)",
            "resource": "FAC-1",
            "resource_id": 4,
            "dispatch_id": 9,
            "channel": "radio",
            "override": True,
            "refusals": [
                "FAC-1 has no identity and authority check on record.",
                "FAC-1's verification expired 28 Jun 09:05.",
                "FAC-1 is not skilled for Lifts.",
                "FAC-1 is on scene.",
            ],
        },
        AGENT,
        "FAC-1 dispatched by radio (override)",
        {
            "refusals": [
                "not_verified",
                "verification_expired",
                "not_skilled",
                "not_available",
            ]
        },
    ),
    pytest.param(
        "dispatch_progress",
        {
            "text": "FAC-1 Facilities team en route (reported by the resource via status link)",
            "resource": "FAC-1",
            "resource_id": 4,
            "dispatch_id": 9,
            "step": "en_route",
            "via": "status link",
        },
        None,
        "FAC-1 en route (reported by the resource via status link)",
        {"via": "status_link"},
        id="dispatch_progress-status-link",
    ),
    pytest.param(
        "dispatch_progress",
        {
            "text": "FAC-1 Facilities team acknowledged",
            "resource": "FAC-1",
            "resource_id": 4,
            "dispatch_id": 9,
            "step": "acknowledged",
            "via": "API",
        },
        AGENT,
        "FAC-1 acknowledged",
        {"via": "api"},
        id="dispatch_progress-api",
    ),
    pytest.param(
        "resource_recalled",
        {
            "text": "FAC-1 Facilities team recalled",
            "resource": "FAC-1",
            "resource_id": 4,
            "dispatch_id": 9,
            "step": "recalled",
            "via": "dispatcher",
        },
        AGENT,
        "FAC-1 recalled",
        {"via": "dispatcher"},
    ),
    pytest.param(
        "briefing_confirmed",
        {
            "text": "FAC-1 briefed by radio at 13:05",
            "message_id": 21,
            "resource": "FAC-1",
            "channel": "radio",
        },
        AGENT,
        "FAC-1 briefed by radio",
        {"briefed_at": None, "dispatch_id": None},
    ),
    pytest.param(
        "message_delivery",
        {
            "text": "Dispatch briefing to VAN-1 by instant message: FAILED after 3 attempt(s)",
            "message_id": 22,
            "status": "failed",
            "attempts": 3,
        },
        None,
        "Dispatch briefing to VAN-1 by instant message: failed after 3 attempts",
        {"message_kind": "briefing", "resource": "VAN-1", "channel": "im"},
        id="message_delivery-failed",
    ),
    pytest.param(
        "message_delivery",
        {
            "text": "Broadcast to FAC-2 by sms: FAILED after 1 attempt(s)",
            "message_id": 25,
            "status": "failed",
            "attempts": 1,
        },
        None,
        "Broadcast to FAC-2 by SMS: failed after 1 attempt",
        {"message_kind": "broadcast", "channel": "sms"},
        id="message_delivery-broadcast",
    ),
    pytest.param(
        "broadcast_sent",
        {
            "text": "Broadcast to Night shift by sms (3 recipients)",
            "broadcast_id": 5,
            "group": "Night shift",
            "channel": "sms",
            "recipients": ["FAC-1", "FAC-2", "VAN-1"],
        },
        AGENT,
        "Broadcast to Night shift by SMS (3 recipients)",
        {"group_id": None},
    ),
    pytest.param(
        "escalation_fired",
        {
            "escalation_event": 31,
            "step": "Response 50%",
            "trigger": "response_elapsed",
            "action": "notify",
            "repetition": 0,
            "attempt": 0,
            "level": "Agent",
            "level_rank": 0,
            "team": "",
            "needs_ack": True,
            "recipients": {"group": "Supervisors", "user_id": None},
            "due_at": "2026-07-01T11:30:00+00:00",
        },
        None,
        "Notified Supervisors — needs acknowledgement; "
        "step “Response 50%” (Response target % elapsed)",
        {"escalation_event_id": 31, "level": 0, "team": None, "notify_group": "Supervisors"},
        id="escalation_fired-notify",
    ),
    pytest.param(
        "escalation_fired",
        {
            "escalation_event": 34,
            "step": "Response 50%",
            "trigger": "response_elapsed",
            "action": "raise_level",
            "repetition": 3,
            "attempt": 3,
            "level": "Duty manager",
            "level_rank": 2,
            "team": "",
            "needs_ack": True,
            "recipients": {"group": "Duty manager"},
            "due_at": "2026-07-01T11:40:00+00:00",
        },
        None,
        "Escalated to Duty manager — needs acknowledgement (after 2 unanswered reminders); "
        "step “Response 50%” (Response target % elapsed)",
        {"level": 2, "notify_group": None, "notify_level": 2},
        id="escalation_fired-up-a-level",
    ),
    pytest.param(
        "escalation_fired",
        {
            "escalation_event": 37,
            "step": "Reopened",
            "trigger": "reopened",
            "action": "notify",
            "repetition": 1,
            "attempt": 0,
            "level": "Head of operations",
            "team": "Network",
            "needs_ack": False,
            "recipients": {"group": None, "user_id": 6},
            "due_at": None,
        },
        AGENT,
        "Notified the named person; step “Reopened” (Incident reopened)",
        {"level": 3, "team": "Network", "notify_user_id": 6, "notify_level": None},
        id="escalation_fired-label-only",
    ),
    pytest.param(
        "escalation_acknowledged",
        {"escalation_events": [31, 34], "steps": ["P1 logged", "Response 50%"]},
        AGENT,
        "Escalation acknowledged: P1 logged, Response 50%",
        {"escalation_event_ids": [31, 34]},
    ),
    pytest.param(
        "escalated_manually",
        {"escalation_event": 40, "level": "Supervisor", "level_rank": 1, "team": ""},
        AGENT,
        "Escalated by hand to Supervisor",
        {"action": "raise_level", "level": 1, "team": None},
        id="escalated_manually-up-a-level",
    ),
    pytest.param(
        "escalated_manually",
        {"escalation_event": 41, "level": "Agent", "level_rank": 0, "team": "Network"},
        AGENT,
        "Escalated by hand (level Agent, team Network)",
        {"action": None, "level": 0, "team": "Network"},
        id="escalated_manually-with-a-team",
    ),
    pytest.param(
        "policy_reapplied",
        {"from": None, "to": "P1 major incident", "steps": 4},
        AGENT,
        "Escalation policy re-applied: no policy → P1 major incident (4 steps)",
        {"from_policy": None, "step_count": 4},
    ),
    pytest.param(
        "incident_acknowledged",
        {"response_due_at": "2026-07-01T12:15:00+00:00"},
        AGENT,
        "Acknowledged: response met (due 13:15)",
        {},
    ),
]


# Kinds added after the typed timeline: no earlier version wrote them.
NEWER_KINDS = {"alerts_closed", "response_met", "caller_redacted"}


def test_the_old_data_table_covers_every_kind():
    assert kinds_of(OLD_SHAPES) == set(EventKind.values) - NEWER_KINDS


@pytest.mark.parametrize(("kind", "old", "actor", "words", "expected"), OLD_SHAPES)
def test_old_data_upgrades_to_data_that_validates_and_reads_well(kind, old, actor, words, expected):
    upgraded = upgrade_legacy(kind, old)

    assert validate(kind, upgraded) == upgraded
    assert "text" not in upgraded
    assert upgraded.items() >= expected.items()
    assert render(event(kind, upgraded, actor=actor)) == words


@pytest.mark.parametrize(("kind", "old", "actor", "words", "expected"), OLD_SHAPES)
def test_an_old_row_not_yet_migrated_renders_the_same(kind, old, actor, words, expected):
    assert render(event(kind, old, actor=actor)) == words


@pytest.mark.parametrize(("kind", "data", "actor", "words"), NEW_SHAPES)
def test_data_already_in_todays_shape_is_left_as_it_is(kind, data, actor, words):
    assert upgrade_legacy(kind, data) == validate(kind, data)


@pytest.mark.parametrize(
    ("label_text", "rank"),
    [("Agent", 0), ("Supervisor", 1), ("Duty manager", 2), ("Head of operations", 3)],
)
def test_level_labels_become_ranks_of_the_fixed_hierarchy(label_text, rank):
    upgraded = upgrade_legacy(
        "escalated_manually", {"escalation_event": 1, "level": label_text, "team": ""}
    )

    assert upgraded["level"] == rank


@pytest.mark.parametrize("kind", EventKind.values)
@pytest.mark.parametrize("old", [{}, None, {"text": "Something happened", "junk": object()}])
def test_upgrade_is_total_even_for_data_no_version_wrote(kind, old):
    upgraded = upgrade_legacy(kind, old)

    assert validate(kind, upgraded) == upgraded
    assert isinstance(render(event(kind, upgraded)), str)


def test_upgrade_refuses_an_unknown_kind():
    with pytest.raises(TimelineError, match="Unknown timeline event kind 'meteor_strike'"):
        upgrade_legacy("meteor_strike", {})
