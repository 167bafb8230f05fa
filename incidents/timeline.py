"""The timeline's event catalogue: every event kind declared once, one validator, one renderer.

Each kind says what its data holds (ids, codes, enum values, UTC times as ISO-8601 with an
offset — never English sentences or local times), who may cause it, and how it reads to a
person. Pages, the API (`text` beside `data`), emails, the board and reports all ask
`render`; services hand their data to `validate` before it is stored.

Enum labels (statuses, channels, escalation levels…) belong to the apps that own the
choices, so the renderer does not import them: each owning app registers its choices once,
from its AppConfig.ready, with `register_labels("status", Status)`; `label(name, value)`
falls back to the raw value when nothing is registered. The names are listed in _LABEL_NAMES.

`upgrade_legacy` turns data as earlier versions of the code wrote it into today's shape. A
data migration calls it, so it is a pure function of (kind, data): this module imports no
model and no app (only the standard library and django.utils.timezone, for rendering).
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone

__all__ = [
    "CausedBy",
    "TimelineError",
    "catalogue",
    "label",
    "register_labels",
    "render",
    "upgrade_legacy",
    "validate",
    "without_caller",
]


class TimelineError(ValueError):
    """An event kind that does not exist, or data that does not match its kind."""


class CausedBy(StrEnum):
    PERSON = "person"  # a signed-in user (the event's actor is set)
    SYSTEM = "system"  # a worker, the escalation sweep or a beat task (no actor)
    # Someone outside the centre through a signed link: a resource's status link, a
    # customer's survey link (no actor).
    VIA_LINK = "via_link"
    ANY = "any"  # a person, or the system / a link doing the same on their behalf


# ---- Labels: a registry the owning apps fill -------------------------------------------------

# Every label name the catalogue refers to, and who owns the choices behind it.
_LABEL_NAMES = {
    "status": "incidents Status",
    "contact_channel": "incidents ContactChannel",
    "record_type": "incidents RecordType",
    "update_channel": "customer care UpdateChannel",
    "resolution_code": "customer care ResolutionCode",
    "closure_method": "customer care ClosureMethod",
    "satisfaction_source": "customer care SatisfactionSource",
    "dispatch_channel": "dispatch Channel",
    "dispatch_status": "dispatch DispatchStatus",
    "delivery_status": "dispatch DeliveryStatus",
    "message_kind": "dispatch MessageKind",
    "escalation_level": "escalation Level",
    "escalation_action": "escalation Action",
    "escalation_trigger": "escalation Trigger",
    "response_how": "incidents ResponseHow",
    "dispatch_refusal": "the timeline (dispatch has no enum for refusals yet)",
    "erasure_reason": "the timeline (privacy.services erases for these reasons)",
    "progress_via": "the timeline (dispatch passes `via` as a plain string today)",
}

_labels: dict[str, dict[str, str]] = {}


def register_labels(name: str, choices) -> None:
    """Make `label(name, value)` read a value as the owner's words.

    `choices` is a Django Choices class, a mapping of value → label, or (value, label) pairs.
    Registering a name again replaces its labels.
    """
    if name not in _LABEL_NAMES:
        raise TimelineError(
            f"Unknown label name {name!r}; the catalogue uses {sorted(_LABEL_NAMES)}."
        )
    pairs = getattr(choices, "choices", choices)
    if isinstance(pairs, Mapping):
        pairs = pairs.items()
    _labels[name] = {str(value): str(text) for value, text in pairs}


def label(name: str, value) -> str:
    """The registered label of a code, or the code itself when none is registered."""
    if value is None:
        return ""
    return _labels.get(name, {}).get(str(value), str(value))


# Vocabularies no app owns yet: the timeline gives them their words.
register_labels(
    "dispatch_refusal",
    {
        "not_verified": "no identity and authority check on record",
        "verification_expired": "verification expired",
        "not_skilled": "not skilled for the category",
        "not_available": "not available",
        "other": "another reason",
    },
)
register_labels(
    "erasure_reason",
    {"request": "the caller's request", "retention": "retention period ended"},
)
register_labels(
    "progress_via",
    {"dispatcher": "the dispatcher", "status_link": "status link", "api": "the API"},
)


# ---- _Field types ----------------------------------------------------------------------------


def _int(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _str(value):
    if not isinstance(value, str):
        raise TypeError
    return value


def _bool(value):
    if not isinstance(value, bool):
        raise TypeError
    return value


def _utc(value):
    """An ISO-8601 time with an offset, returned in UTC: '2026-03-01T14:05:00+00:00'."""
    if not isinstance(value, str):
        raise TypeError
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise TypeError
    return parsed.astimezone(UTC).isoformat()


_SCALARS = (str, int, float, bool, type(None))


def _changes(value):
    """{field name: [before, after]}, each a JSON scalar or a list of scalars."""
    if not isinstance(value, dict) or not value:
        raise TypeError
    for name, pair in value.items():
        if not isinstance(name, str) or not isinstance(pair, list | tuple) or len(pair) != 2:
            raise TypeError
        for side in pair:
            if not isinstance(side, _SCALARS) and not (
                isinstance(side, list) and all(isinstance(v, _SCALARS) for v in side)
            ):
                raise TypeError
    return {name: list(pair) for name, pair in value.items()}


def _list_of(check):
    def checked(value):
        if not isinstance(value, list | tuple):
            raise TypeError
        return [check(item) for item in value]

    return checked


_TYPES: dict[str, Callable[[Any], Any]] = {
    "int": _int,
    "str": _str,
    "bool": _bool,
    "datetime": _utc,
    "list[int]": _list_of(_int),
    "list[str]": _list_of(_str),
    "changes": _changes,
}
# What upgrade_legacy puts in a required field that data no version wrote left out.
# (A hand-edited row, say: every version of the code wrote every required field.)
_EMPTY = {
    "int": 0,
    "str": "",
    "bool": False,
    "datetime": "1970-01-01T00:00:00+00:00",
    "list[int]": [],
    "list[str]": [],
    "changes": {"(unknown)": [None, None]},
}


@dataclass(frozen=True)
class _Field:
    name: str
    type: str
    optional: bool = False  # may be null; left out, it is stored as null
    labels: str | None = None  # the label registry name that reads this code
    # Holds the caller's contact details (a name or an address): hidden from whoever may
    # not see them, rewritten when the caller is erased (without_caller).
    caller: bool = False

    def __post_init__(self):
        if self.type not in _TYPES or (self.labels and self.labels not in _LABEL_NAMES):
            raise TimelineError(f"Field {self.name!r}: no type {self.type!r} or labels.")


def _f(
    name: str,
    type_: str,
    *,
    optional: bool = False,
    labels: str | None = None,
    caller: bool = False,
) -> _Field:
    return _Field(name, type_, optional, labels, caller)


@dataclass(frozen=True)
class _Kind:
    kind: str
    label: str
    caused_by: CausedBy
    fields: tuple[_Field, ...]
    # (clean data, event) → the words for a person.
    words: Callable[[dict, Any], str]
    # Old data → new-shaped data (before conforming); None when the shape never changed.
    upgrade: Callable[[dict], dict] | None = None

    @property
    def field_names(self) -> list[str]:
        return [field.name for field in self.fields]


# ---- Words ----------------------------------------------------------------------------------


def _when(value: str | None) -> str:
    """A UTC ISO time as the centre reads it: 14:05 today, else 3 Mar 14:05 (+ year)."""
    if not value:
        return ""
    local = timezone.localtime(datetime.fromisoformat(value))
    today = timezone.localdate()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.year == today.year:
        return f"{local.day} {local:%b %H:%M}"
    return f"{local.day} {local:%b %Y %H:%M}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _lower(text: str) -> str:
    """'Radio' → 'radio', 'Instant message' → 'instant message'; 'SMS' stays 'SMS'."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _channel(name: str, value) -> str:
    return _lower(label(name, value))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _with_parent(d: dict) -> str:
    return f" (with {d['via_parent']})" if d.get("via_parent") else ""


def _change(name: str, value) -> str:
    if name == "contact_channel":
        return label("contact_channel", value)
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _updated(d, event):
    parts = [
        f"{name.replace('_', ' ')} “{_change(name, before)}” → “{_change(name, after)}”"
        for name, (before, after) in d["changes"].items()
    ]
    return "Details updated: " + "; ".join(parts)


def _reprioritised(d, event):
    text = f"Priority {d['from_priority']} → {d['to_priority']}"
    if d["by_escalation"]:
        return text + " (raised by escalation)"
    moves = [
        f"{name} {before} → {after}" if before != after else f"{name} {after}"
        for name, before, after in (
            ("impact", d["from_impact"], d["to_impact"]),
            ("urgency", d["from_urgency"], d["to_urgency"]),
        )
        if after
    ]
    return text + (f" ({', '.join(moves)})" if moves else "")


def _customer_updated(d, event):
    text = f"Customer updated by {_channel('update_channel', d['channel'])}"
    if d["recipient"]:
        text += f" to {d['recipient']}"
    text += _with_parent(d)
    if d["next_due_at"]:
        text += f"; next update due {_when(d['next_due_at'])}"
    return text


def _closed(d, event):
    if d["method"] == "with_parent" and d["via_parent"]:
        return f"Closed with {d['via_parent']}"
    text = f"Closed: {label('closure_method', d['method'])}"
    if d["confirmed_by"]:
        text += f" by {d['confirmed_by']}"
    if d["confirmed_at"]:
        text += f" at {_when(d['confirmed_at'])}"
    return text + _with_parent(d)


def _satisfaction(d, event):
    return f"Satisfaction {d['score']}/5 ({_lower(label('satisfaction_source', d['source']))})"


def _dispatched(d, event):
    text = f"{d['resource']} dispatched by {_channel('dispatch_channel', d['channel'])}"
    return text + (" (override)" if d["override"] else "")


def _progress(d, event):
    text = f"{d['resource']} {_lower(label('dispatch_status', d['step']))}"
    if event.actor is None and d["via"] != "dispatcher":
        text += f" (reported by the resource via {label('progress_via', d['via'])})"
    return text


def _briefed(d, event):
    text = f"{d['resource']} briefed by {_channel('dispatch_channel', d['channel'])}"
    return text + (f" at {_when(d['briefed_at'])}" if d["briefed_at"] else "")


def _delivery(d, event):
    if d["status"] == "failed":
        result = f"failed after {_plural(d['attempts'], 'attempt')}"
    else:
        result = _lower(label("delivery_status", d["status"]))
    if d["message_kind"] is None:
        return f"Message {d['message_id']}: {result}"
    what = label("message_kind", d["message_kind"])
    to = f" to {d['resource']}" if d["resource"] else ""
    by = f" by {_channel('dispatch_channel', d['channel'])}" if d["channel"] else ""
    return f"{what}{to}{by}: {result}"


def _broadcast(d, event):
    return (
        f"Broadcast to {d['group']} by {_channel('dispatch_channel', d['channel'])} "
        f"({_plural(len(d['recipients']), 'recipient')})"
    )


def _level(rank) -> str:
    return label("escalation_level", rank)


def _fired(d, event):
    action = d["action"]
    if action == "raise_level":
        text = f"Escalated to {_level(d['level'])}"
    elif action == "specialist":
        text = f"Handed to the {d['team']} team" if d["team"] else "Handed to a specialist team"
    elif action == "raise_priority":
        text = "Priority raised by escalation"
    elif action == "notify":
        who = (
            d["notify_group"]
            or (_level(d["notify_level"]) if d["notify_level"] is not None else "")
            or ("the named person" if d["notify_user_id"] else "")
        )
        text = ("Reminded " if d["attempt"] else "Notified ") + (who or "the timeline")
    else:
        text = f"Escalation: {label('escalation_action', action)}"
    if d["needs_ack"]:
        text += " — needs acknowledgement"
    attempt = d["attempt"]
    if attempt and action == "raise_level":
        # Repeats 1…max_repeats are reminders; the next attempt moves up instead.
        unanswered = _plural(attempt - 1, "unanswered reminder")
        text += f" (after {unanswered})" if attempt > 1 else " (not acknowledged in time)"
    elif attempt:
        text += f" ({_ordinal(attempt)} reminder)"
    return f"{text}; step “{d['step']}” ({label('escalation_trigger', d['trigger'])})"


def _escalated_manually(d, event):
    waits = " — needs acknowledgement" if d["needs_ack"] else ""
    if d["action"] == "specialist":
        return f"Escalated by hand to the {d['team']} team{waits}"
    if d["action"] == "raise_level":
        return f"Escalated by hand to {_level(d['level'])}{waits}"
    team = f", team {d['team']}" if d["team"] else ""
    return f"Escalated by hand (level {_level(d['level'])}{team})"


_CLOSED_BECAUSE = {
    "resolved": "the incident was resolved",
    "closed": "the incident was closed",
    "cancelled": "the incident was cancelled",
    "linked": "the call now follows its parent",
}


def _alerts_closed(d, event):
    count = _plural(len(d["escalation_event_ids"]), "escalation alert")
    return f"{count} closed: {_CLOSED_BECAUSE.get(d['because'], d['because'])}"


def _logged(d, event):
    text = f"Logged as {d['priority']} (impact {d['impact']}, urgency {d['urgency']})"
    if d["parent"]:
        text += f", linked to {d['parent']}"
    if d["received_at_reason"]:
        text += f"; received {_when(d['received_at'])}: {d['received_at_reason']}"
    return text


def _policy_reapplied(d, event):
    before, after = d["from_policy"] or "no policy", d["to_policy"] or "no policy"
    return f"Escalation policy re-applied: {before} → {after} ({_plural(d['step_count'], 'step')})"


def _incident_acknowledged(d, event):
    due = d["response_due_at"]
    if event.at is not None and event.at > datetime.fromisoformat(due):
        return f"Acknowledged: response given after the {_when(due)} target"
    return f"Acknowledged: response met (due {_when(due)})"


# ---- Upgrading what earlier versions wrote --------------------------------------------------

# The fixed hierarchy of escalation (escalation Level); old events stored the label.
_LEVEL_RANKS = {"agent": 0, "supervisor": 1, "duty manager": 2, "head of operations": 3}
# Labels earlier versions stored instead of codes, as they read then.
_RESOLUTION_CODES = {
    "Fixed": "fixed",
    "Workaround in place": "workaround",
    "No fault found": "no_fault_found",
    "Referred to a third party": "third_party",
    "Duplicate": "duplicate",
}
_CLOSURE_METHODS = {
    "Confirmed by phone": "phone",
    "Confirmed by email": "email",
    "Confirmed by SMS": "sms",
    "Confirmed in person": "in_person",
    "Closed without confirmation (no answer)": "no_answer",
    "Closed with its parent incident": "with_parent",
}
_SATISFACTION_SOURCES = {
    "Given on a call, recorded by the agent": "agent",
    "Given by the customer through the emailed link": "link",
}
# dispatch Channel labels, lower-cased as the old `text` had them.
_CHANNELS = {
    "radio": "radio",
    "phone": "phone",
    "sms": "sms",
    "instant message": "im",
    "email": "email",
    "pager": "pager",
    "webhook": "webhook",
}
_MESSAGE_KINDS = {"Dispatch briefing": "briefing", "Broadcast": "broadcast"}
_VIA = {"dispatcher": "dispatcher", "status link": "status_link", "api": "api"}
_REFUSALS = [
    ("has no identity and authority check", "not_verified"),
    ("verification expired", "verification_expired"),
    ("is not skilled for", "not_skilled"),
    (" is ", "not_available"),  # "FAC-1 is on scene." — checked last
]
_DELIVERY_TEXT = re.compile(
    r"^(?P<kind>.+?) to (?P<resource>.+) by (?P<channel>"
    + "|".join(re.escape(c) for c in _CHANNELS)
    + r"): "
)


def _code(mapping: dict, value):
    """A label an old version stored → its code; a code (or anything else) stays as it is."""
    return mapping.get(value, value) if isinstance(value, str) else value


def _rank(value, rank=None):
    if isinstance(rank, int) and not isinstance(rank, bool):
        return rank
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _LEVEL_RANKS.get(value.strip().lower())
    return None


def _first(d: dict, *names):
    """The first of these keys present (new name first, then the names it had before)."""
    for name in names:
        if name in d:
            return d[name]
    return None


def _blank_is_none(value):
    return value or None


def _up_reprioritised(d):
    before = d.get("from") if isinstance(d.get("from"), dict) else {}
    after = d.get("to") if isinstance(d.get("to"), dict) else {}
    return {
        "from_priority": d.get("from_priority", before.get("priority")),
        "to_priority": d.get("to_priority", after.get("priority")),
        "from_impact": d.get("from_impact", before.get("impact")),
        "to_impact": d.get("to_impact", after.get("impact")),
        "from_urgency": d.get("from_urgency", before.get("urgency")),
        "to_urgency": d.get("to_urgency", after.get("urgency")),
        "matrix_version": d.get("matrix_version"),
        "by_escalation": bool(_first(d, "by_escalation", "escalation")),
    }


def _up_customer_update(d):
    return {
        **d,
        "update_id": _first(d, "update_id", "update"),
        "next_due_at": _first(d, "next_due_at", "next_due"),
        "recipient": _blank_is_none(d.get("recipient")),
    }


def _up_resolved(d):
    return {**d, "code": _code(_RESOLUTION_CODES, d.get("code"))}


def _up_closed(d):
    return {
        **d,
        "method": _code(_CLOSURE_METHODS, d.get("method")),
        "confirmed_by": _blank_is_none(d.get("confirmed_by")),
    }


def _up_satisfaction(d):
    return {**d, "source": _code(_SATISFACTION_SOURCES, d.get("source"))}


def _refusal_code(reason) -> str:
    if not isinstance(reason, str):
        return "other"
    if reason in _labels["dispatch_refusal"]:
        return reason
    return next((code for needle, code in _REFUSALS if needle in reason), "other")


def _up_dispatched(d):
    refusals = d.get("refusals") if isinstance(d.get("refusals"), list) else []
    return {**d, "refusals": [_refusal_code(r) for r in refusals]}


def _up_progress(d):
    via = d.get("via")
    if isinstance(via, str):
        via = _VIA.get(via.lower(), re.sub(r"\W+", "_", via.strip().lower()))
    return {**d, "via": via or "dispatcher"}


def _up_delivery(d):
    parsed = _DELIVERY_TEXT.match(d.get("text") or "") if isinstance(d.get("text"), str) else None
    old = (
        {
            "message_kind": _MESSAGE_KINDS.get(parsed["kind"], parsed["kind"]),
            "resource": parsed["resource"],
            "channel": _CHANNELS[parsed["channel"]],
        }
        if parsed
        else {}
    )
    return {**old, **d}


def _up_fired(d):
    recipients = d.get("recipients") if isinstance(d.get("recipients"), dict) else {}
    group = recipients.get("group")
    # After every repeat went unanswered, old versions named the next rung as the "group".
    to_level = "user_id" not in recipients and _rank(group) is not None
    return {
        "notify_group": None if to_level else group,
        "notify_user_id": recipients.get("user_id"),
        "notify_level": _rank(group) if to_level else None,
        **d,
        "escalation_event_id": _first(d, "escalation_event_id", "escalation_event"),
        "level": _rank(d.get("level"), d.get("level_rank")),
        "team": _blank_is_none(d.get("team")),
    }


def _up_escalated_manually(d):
    team = _blank_is_none(d.get("team"))
    # Without a team the level was raised. With one, old data cannot say whether this
    # escalation named the team or raised the level of an incident that already had one.
    return {
        "action": None if team else "raise_level",
        **d,
        "escalation_event_id": _first(d, "escalation_event_id", "escalation_event"),
        "level": _rank(d.get("level"), d.get("level_rank")),
        "team": team,
    }


def _up_acknowledged(d):
    return {**d, "escalation_event_ids": _first(d, "escalation_event_ids", "escalation_events")}


def _up_policy_reapplied(d):
    return {
        **d,
        "from_policy": _first(d, "from_policy", "from"),
        "to_policy": _first(d, "to_policy", "to"),
        "step_count": _first(d, "step_count", "steps"),
    }


# ---- The catalogue --------------------------------------------------------------------------

P, S, L, A = CausedBy.PERSON, CausedBy.SYSTEM, CausedBy.VIA_LINK, CausedBy.ANY
_RESOURCE = (
    _f("dispatch_id", "int"),
    _f("resource_id", "int"),
    _f("resource", "str"),  # call sign
)
_ESCALATION_LEVEL = _f("level", "int", labels="escalation_level")

_CATALOGUE: dict[str, _Kind] = {
    k.kind: k
    for k in [
        _Kind(
            "logged",
            "Logged",
            P,
            (
                _f("priority", "str"),
                _f("impact", "str"),
                _f("urgency", "str"),
                _f("matrix_version", "int"),
                _f("details_confirmed", "bool"),
                _f("parent", "str", optional=True),
                # When the contact came in (the clocks start there), and why it was logged late.
                _f("received_at", "datetime", optional=True),
                _f("received_at_reason", "str", optional=True),
            ),
            _logged,
        ),
        _Kind("updated", "Details updated", P, (_f("changes", "changes"),), _updated),
        _Kind(
            "details_confirmed",
            "Details read back to caller",
            P,
            (),
            lambda d, e: "Details read back to the caller and confirmed",
        ),
        _Kind(
            "status_changed",
            "Status changed",
            A,
            (_f("from", "str", labels="status"), _f("to", "str", labels="status")),
            lambda d, e: f"Status: {label('status', d['from'])} → {label('status', d['to'])}",
        ),
        _Kind(
            "reprioritised",
            "Reprioritised",
            A,
            (
                _f("from_priority", "str"),
                _f("to_priority", "str"),
                _f("from_impact", "str", optional=True),
                _f("to_impact", "str", optional=True),
                _f("from_urgency", "str", optional=True),
                _f("to_urgency", "str", optional=True),
                _f("matrix_version", "int", optional=True),
                _f("by_escalation", "bool"),
            ),
            _reprioritised,
            _up_reprioritised,
        ),
        _Kind(
            "linked",
            "Linked to parent",
            P,
            (_f("parent", "str"),),
            lambda d, e: f"Linked to {d['parent']}",
        ),
        _Kind(
            "unlinked",
            "Unlinked from parent",
            P,
            (_f("parent", "str"),),
            lambda d, e: f"Unlinked from {d['parent']}",
        ),
        _Kind(
            "child_linked",
            "Call linked",
            P,
            (_f("child", "str"),),
            lambda d, e: f"Call {d['child']} linked to this incident",
        ),
        _Kind(
            "child_unlinked",
            "Call unlinked",
            P,
            (_f("child", "str"),),
            lambda d, e: f"Call {d['child']} unlinked from this incident",
        ),
        _Kind(
            "customer_updated",
            "Customer updated",
            P,
            (
                _f("update_id", "int"),
                _f("channel", "str", labels="update_channel"),
                _f("recipient", "str", optional=True, caller=True),
                _f("via_parent", "str", optional=True),
                _f("next_due_at", "datetime", optional=True),
            ),
            _customer_updated,
            _up_customer_update,
        ),
        _Kind(
            "customer_update_queued",
            "Customer update queued",
            P,
            (
                _f("update_id", "int"),
                _f("channel", "str", labels="update_channel"),
                _f("recipient", "str", caller=True),
                _f("via_parent", "str", optional=True),
            ),
            lambda d, e: (
                f"Customer update queued: {_channel('update_channel', d['channel'])} "
                f"to {d['recipient']}" + _with_parent(d)
            ),
            _up_customer_update,
        ),
        _Kind(
            "customer_update_failed",
            "Customer update failed to send",
            S,
            (
                _f("update_id", "int"),
                _f("channel", "str", optional=True, labels="update_channel"),
                _f("recipient", "str", caller=True),
                _f("attempts", "int"),
            ),
            lambda d, e: (
                "Customer update"
                + (f" by {_channel('update_channel', d['channel'])}" if d["channel"] else "")
                + f" to {d['recipient']} failed after {_plural(d['attempts'], 'attempt')}"
            ),
            _up_customer_update,
        ),
        _Kind(
            "resolved",
            "Resolved",
            P,
            (
                _f("from", "str", labels="status"),
                _f("code", "str", labels="resolution_code"),
                _f("via_parent", "str", optional=True),
            ),
            lambda d, e: f"Resolved: {label('resolution_code', d['code'])}" + _with_parent(d),
            _up_resolved,
        ),
        _Kind(
            "closed",
            "Closed",
            P,
            (
                _f("from", "str", labels="status"),
                _f("method", "str", labels="closure_method"),
                _f("confirmed_by", "str", optional=True, caller=True),
                _f("confirmed_at", "datetime", optional=True),
                _f("via_parent", "str", optional=True),
            ),
            _closed,
            _up_closed,
        ),
        _Kind(
            "closed_without_confirmation",
            "Closed without confirmation",
            S,
            (_f("from", "str", labels="status"),),
            lambda d, e: "Closed without confirmation: the customer did not answer",
        ),
        _Kind(
            "reopened",
            "Reopened",
            P,
            (_f("from", "str", labels="status"),),
            lambda d, e: f"Reopened (was {label('status', d['from'])})",
        ),
        _Kind(
            "satisfaction_recorded",
            "Satisfaction recorded",
            A,
            (_f("score", "int"), _f("source", "str", labels="satisfaction_source")),
            _satisfaction,
            _up_satisfaction,
        ),
        _Kind(
            "satisfaction_link_sent",
            "Satisfaction survey sent",
            S,
            (_f("recipient", "str", caller=True), _f("expires_at", "datetime")),
            lambda d, e: (
                f"Satisfaction survey sent to {d['recipient']} "
                f"(link valid until {_when(d['expires_at'])})"
            ),
        ),
        _Kind(
            "resource_dispatched",
            "Resource dispatched",
            P,
            (
                *_RESOURCE,
                _f("channel", "str", labels="dispatch_channel"),
                _f("override", "bool"),
                # What the override overrode (codes); empty without an override.
                _f("refusals", "list[str]", labels="dispatch_refusal"),
            ),
            _dispatched,
            _up_dispatched,
        ),
        _Kind(
            "dispatch_progress",
            "Resource progress",
            A,
            (
                *_RESOURCE,
                _f("step", "str", labels="dispatch_status"),
                _f("via", "str", labels="progress_via"),
            ),
            _progress,
            _up_progress,
        ),
        _Kind(
            "resource_recalled",
            "Resource recalled",
            P,
            (*_RESOURCE, _f("via", "str", labels="progress_via")),
            lambda d, e: f"{d['resource']} recalled",
            _up_progress,
        ),
        _Kind(
            "briefing_confirmed",
            "Briefing confirmed by voice",
            P,
            (
                _f("message_id", "int"),
                _f("dispatch_id", "int", optional=True),
                _f("resource_id", "int", optional=True),
                _f("resource", "str"),
                _f("channel", "str", labels="dispatch_channel"),
                _f("briefed_at", "datetime", optional=True),
            ),
            _briefed,
        ),
        _Kind(
            "message_delivery",
            "Message delivery",
            S,
            (
                _f("message_id", "int"),
                _f("message_kind", "str", optional=True, labels="message_kind"),
                _f("resource", "str", optional=True),
                _f("channel", "str", optional=True, labels="dispatch_channel"),
                _f("status", "str", labels="delivery_status"),
                _f("attempts", "int"),
            ),
            _delivery,
            _up_delivery,
        ),
        _Kind(
            "broadcast_sent",
            "Broadcast to group",
            P,
            (
                _f("broadcast_id", "int"),
                _f("group_id", "int", optional=True),
                _f("group", "str"),
                _f("channel", "str", labels="dispatch_channel"),
                _f("recipients", "list[str]"),  # call signs
            ),
            _broadcast,
        ),
        _Kind(
            "escalation_fired",
            "Escalation",
            A,
            (
                _f("escalation_event_id", "int"),
                _f("step_id", "int", optional=True),
                _f("step", "str"),
                _f("trigger", "str", labels="escalation_trigger"),
                _f("action", "str", labels="escalation_action"),
                _f("repetition", "int"),
                _f("attempt", "int"),
                _ESCALATION_LEVEL,
                _f("team", "str", optional=True),
                _f("needs_ack", "bool"),
                _f("notify_group", "str", optional=True),
                _f("notify_user_id", "int", optional=True),
                _f("notify_level", "int", optional=True, labels="escalation_level"),
                _f("due_at", "datetime", optional=True),
            ),
            _fired,
            _up_fired,
        ),
        _Kind(
            "escalation_acknowledged",
            "Escalation acknowledged",
            P,
            (_f("escalation_event_ids", "list[int]"), _f("steps", "list[str]")),
            lambda d, e: (
                "Escalation acknowledged" + (f": {', '.join(d['steps'])}" if d["steps"] else "")
            ),
            _up_acknowledged,
        ),
        _Kind(
            "escalated_manually",
            "Escalated by hand",
            P,
            (
                _f("escalation_event_id", "int"),
                # raise_level or specialist; null only for old events that cannot tell.
                _f("action", "str", optional=True, labels="escalation_action"),
                _ESCALATION_LEVEL,
                _f("team", "str", optional=True),
                # Since manual escalations raise an alert: who was told, and that it waits.
                _f("needs_ack", "bool", optional=True),
                _f("notify_group", "str", optional=True),
            ),
            _escalated_manually,
            _up_escalated_manually,
        ),
        _Kind(
            "response_met",
            "Response target met",
            A,
            (
                _f("how", "str", labels="response_how"),
                _f("dispatch_id", "int", optional=True),
                _f("message_id", "int", optional=True),
            ),
            lambda d, e: f"Response target met: {label('response_how', d['how']).lower()}",
        ),
        _Kind(
            "alerts_closed",
            "Escalation alerts closed",
            S,
            (_f("escalation_event_ids", "list[int]"), _f("because", "str")),
            _alerts_closed,
        ),
        _Kind(
            "policy_reapplied",
            "Escalation policy re-applied",
            P,
            (
                _f("from_policy", "str", optional=True),
                _f("to_policy", "str", optional=True),
                _f("step_count", "int"),
            ),
            _policy_reapplied,
            _up_policy_reapplied,
        ),
        _Kind(
            "incident_acknowledged",
            "Acknowledged (response met)",
            P,
            (_f("response_due_at", "datetime"),),
            _incident_acknowledged,
        ),
        # The one exception to the append-only timeline (privacy.services.erase_caller):
        # the events listed had their caller fields rewritten, and the incident fields
        # listed were replaced. Records that it happened, never what was erased.
        _Kind(
            "caller_redacted",
            "Caller details erased",
            A,
            (
                _f("events", "list[int]"),
                _f("fields", "list[str]"),
                _f("because", "str", labels="erasure_reason"),
            ),
            lambda d, e: (
                f"Caller details erased ({label('erasure_reason', d['because'])}): "
                f"{_plural(len(d['events']), 'event')} rewritten"
            ),
        ),
    ]
}


# ---- The public functions -------------------------------------------------------------------


def _definition(kind: str) -> _Kind:
    try:
        return _CATALOGUE[kind]
    except (KeyError, TypeError):
        raise TimelineError(f"Unknown timeline event kind {kind!r}.") from None


def validate(kind: str, data: dict) -> dict:
    """The data cleaned for storing (fields in catalogue order, times in UTC, optional fields
    left out stored as null); TimelineError naming every problem otherwise.

    Codes are checked as strings, not against their choices: the owning apps hold those,
    and an event stays valid after a choice it names is retired (it then reads as its code).
    """
    spec = _definition(kind)
    if not isinstance(data, Mapping):
        raise TimelineError(f"{kind}: data must be a dict, not {type(data).__name__}.")
    problems = [f"unknown field {name!r}" for name in data if name not in spec.field_names]
    cleaned = {}
    for field in spec.fields:
        if field.name not in data:
            if not field.optional:
                problems.append(f"missing required field {field.name!r} ({field.type})")
            cleaned[field.name] = None
            continue
        value = data[field.name]
        if value is None and field.optional:
            cleaned[field.name] = None
            continue
        try:
            cleaned[field.name] = _TYPES[field.type](value)
        except (TypeError, ValueError):
            expected = field.type + (" or null" if field.optional else "")
            if field.type == "datetime":
                expected = "an ISO-8601 time with a UTC offset" + (
                    " or null" if field.optional else ""
                )
            problems.append(f"field {field.name!r} must be {expected}, not {value!r}")
    if problems:
        raise TimelineError(f"{kind}: " + "; ".join(problems) + ".")
    return cleaned


# Where a caller's contact details can sit in event data: fields marked caller=True, and
# these keys of a `changes` field (a details edit).
CALLER_KEYS = ("caller_name", "caller_phone", "caller_email")


def without_caller(kind: str, data: dict, *, replacement: str) -> dict:
    """The data with every caller contact detail replaced (an empty one stays empty).

    Used to hide the details from who may not see them (pages, API, the board) and, with
    the erasure's replacement, to rewrite stored events when a caller is erased."""
    spec = _CATALOGUE.get(kind)
    if spec is None or not isinstance(data, Mapping):
        return dict(data or {})
    out = dict(data)
    for field in spec.fields:
        value = out.get(field.name)
        if field.caller and value:
            out[field.name] = replacement
        elif field.type == "changes" and isinstance(value, Mapping):
            out[field.name] = {
                name: [replacement if side else side for side in pair]
                if name in CALLER_KEYS
                else pair
                for name, pair in value.items()
            }
    return out


def caller_values(kind: str, data: dict) -> list[str]:
    """The caller details this event's data holds (so copies of them elsewhere in the event,
    like its rationale, can be found even after the incident's own details changed)."""
    spec = _CATALOGUE.get(kind)
    if spec is None or not isinstance(data, Mapping):
        return []
    found = []
    for field in spec.fields:
        value = data.get(field.name)
        if field.caller and isinstance(value, str):
            found.append(value)
        elif field.type == "changes" and isinstance(value, Mapping):
            for name in CALLER_KEYS:
                found += [side for side in value.get(name, ()) if isinstance(side, str)]
    return [value for value in found if value]


def render(event, *, caller_hidden: str | None = None) -> str:
    """The event in words for a person (pages, API `text`, emails, board, reports).

    With caller_hidden, the caller's contact details in the data read as that text instead.

    The words say what happened, not who did it (pages show the actor and the reason beside
    them); the actor is read only to tell a resource's own report from a dispatcher's, and
    the time only to tell a late acknowledgement. Data an earlier
    version wrote is read through upgrade_legacy, so old rows render before migrating.
    """
    spec = _CATALOGUE.get(event.kind)
    if spec is None:
        return str(event.kind).replace("_", " ").capitalize()
    try:
        data = validate(event.kind, event.data or {})
    except TimelineError:
        data = validate(event.kind, upgrade_legacy(event.kind, event.data))
    if caller_hidden is not None:
        data = without_caller(event.kind, data, replacement=caller_hidden)
    return spec.words(data, event)


def upgrade_legacy(kind: str, data: dict) -> dict:
    """Data as any earlier version of the code wrote it → data `validate` accepts.

    Total for every known kind: renamed keys move, labels become codes, pre-rendered English
    (`text`) is dropped once what it alone held is recovered, and a field the old data did not
    have is null (such fields are optional). Data already in today's shape comes back as is.
    """
    spec = _definition(kind)
    old = dict(data) if isinstance(data, Mapping) else {}
    new = spec.upgrade(old) if spec.upgrade else old
    return _conform(spec, new)


def _conform(spec: _Kind, data: dict) -> dict:
    """Keep the declared fields; what still does not fit becomes null, or for a required
    field that no version of the code left out, the empty value of its type."""
    out = {}
    for field in spec.fields:
        value = data.get(field.name)
        try:
            out[field.name] = None if value is None else _TYPES[field.type](value)
        except (TypeError, ValueError):
            out[field.name] = None
        if out[field.name] is None and not field.optional:
            out[field.name] = _EMPTY.get(field.type)
    return out


def catalogue() -> list[dict]:
    """Every kind, its label, who may cause it and its fields: for docs and tools."""
    return [
        {
            "kind": spec.kind,
            "label": spec.label,
            "caused_by": spec.caused_by.value,
            "fields": [
                {
                    "name": field.name,
                    "type": field.type,
                    "optional": field.optional,
                    "labels": field.labels,
                    "caller": field.caller,
                }
                for field in spec.fields
            ],
        }
        for spec in _CATALOGUE.values()
    ]
