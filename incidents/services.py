"""Every write to an incident: one function per use case, one transaction each.

Each locks what it changes, checks the rule, saves with update_fields, bumps the version,
appends a timeline event and (through incidents.events) publishes it after commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import hooks, phones
from core.errors import Conflict, Invalid, InvalidTransition, NotPermitted
from incidents import clock as timers
from incidents import events, lifecycle, selectors
from incidents.lifecycle import TimerKind
from incidents.models import (
    Category,
    EventKind,
    ImpactLevel,
    Incident,
    MatrixCell,
    Priority,
    PriorityMatrix,
    RecordType,
    Status,
    UrgencyLevel,
)

# What update_incident may change; priority and status have their own services.
EDITABLE_FIELDS = frozenset(
    {
        "contact_channel",
        "caller_name",
        "caller_phone",
        "caller_email",
        "location",
        "latitude",
        "longitude",
        "category",
        "summary",
        "description",
        "asset_refs",
        "priority_justification",
    }
)


def missing_fields(values: dict) -> dict[str, list[str]]:
    """The mandatory-field rules of the standard, with a message for each field missing."""
    errors: dict[str, list[str]] = {}

    def need(field, message):
        if values.get(field) in (None, "", [], ()):
            errors[field] = [message]

    need("contact_channel", "Say how the caller contacted us.")
    need("caller_name", "Enter the caller's name (or 'Anonymous' if they will not give it).")
    if not values.get("caller_phone") and not values.get("caller_email"):
        message = "Enter a phone number or an email address so we can reach the caller."
        errors["caller_phone"] = [message]
        errors["caller_email"] = [message]
    if values.get("record_type", RecordType.INCIDENT) == RecordType.INCIDENT:
        need("location", "Enter the exact location of the incident.")
    need("category", "Choose a category.")
    need("summary", "Describe the incident in a short summary.")
    need("impact", "Choose the impact.")
    need("urgency", "Choose the urgency.")
    errors.update(received_at_errors(values.get("received_at"), values.get("received_at_reason")))
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        errors["latitude"] = ["Give both latitude and longitude, or neither."]
    return errors


def _normalise_phone(values: dict) -> dict[str, list[str]]:
    """The caller's phone is kept in E.164 (core/phones.py): rewrite it in place, or say why
    it is not a phone number."""
    if "caller_phone" not in values:
        return {}
    try:
        values["caller_phone"] = phones.normalise(values["caller_phone"])
    except phones.PhoneInvalid as problem:
        return {"caller_phone": [str(problem)]}
    return {}


# A contact cannot be received in the future; this much allows for clocks a little apart.
RECEIVED_AT_TOLERANCE = timedelta(minutes=2)


def received_at_errors(received_at: datetime | None, reason: str | None) -> dict[str, list[str]]:
    """When the contact came in starts the clocks: not in the future, and a time long past
    (an email read late) is explained in writing (RECEIVED_AT_REASON_AFTER_MINUTES)."""
    if received_at is None:
        return {}
    now = timezone.now()
    if received_at > now + RECEIVED_AT_TOLERANCE:
        return {"received_at": ["The contact cannot have been received in the future."]}
    limit = timedelta(minutes=settings.RECEIVED_AT_REASON_AFTER_MINUTES)
    if received_at < now - limit and not (reason or "").strip():
        minutes = settings.RECEIVED_AT_REASON_AFTER_MINUTES
        return {
            "received_at_reason": [
                f"It was received more than {minutes} minutes ago: say why it is logged only now."
            ]
        }
    return {}


def _fields_of(incident: Incident) -> dict:
    return {f: getattr(incident, f) for f in EDITABLE_FIELDS | {"record_type", "impact", "urgency"}}


@dataclass(frozen=True)
class Logged:
    incident: Incident


def log_incident(
    *,
    actor,
    contact_channel: str,
    category: Category | None,
    summary: str,
    impact: ImpactLevel | None,
    urgency: UrgencyLevel | None,
    record_type: str = RecordType.INCIDENT,
    caller_name: str = "",
    caller_phone: str = "",
    caller_email: str = "",
    location: str = "",
    latitude=None,
    longitude=None,
    description: str = "",
    asset_refs: list[str] | None = None,
    priority_justification: str = "",
    details_confirmed: bool = False,
    received_at: datetime | None = None,
    received_at_reason: str = "",
    parent: Incident | None = None,
) -> Logged:
    """Log a new incident. A retried request is answered by the edge's idempotency
    (core/idempotency.py), which runs this in the same transaction as the key."""
    # The incident's own fields, as given (everything but who).
    values = {k: v for k, v in locals().items() if k != "actor"}
    errors = {**_normalise_phone(values), **missing_fields(values)}
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        incident = _create(actor=actor, values=values)
    return Logged(incident=incident)


def _create(*, actor, values: dict) -> Incident:
    now = timezone.now()
    fields = dict(values)
    parent = fields.pop("parent")
    details_confirmed = fields.pop("details_confirmed")
    received_at_reason = (fields.pop("received_at_reason") or "").strip()
    cell, matrix = selectors.matrix_cell(impact=fields["impact"], urgency=fields["urgency"])
    if parent is not None:
        _check_parent(child=None, parent=parent)
    fields["received_at"] = fields["received_at"] or now
    fields["asset_refs"] = list(fields["asset_refs"] or [])
    incident = Incident.objects.create(
        **fields,
        priority=cell.priority,
        matrix_version=matrix.version,
        details_confirmed_at=now if details_confirmed else None,
        created_by=actor,
        parent=parent,
    )
    # The clocks run from when the contact came in, not from when it was typed in.
    timers.start_timers(incident=incident, at=incident.received_at)
    if parent is not None:
        timers.follow_parent(incident=incident, at=now)
    events.record(
        incident=incident,
        kind=EventKind.LOGGED,
        actor=actor,
        data={
            "priority": cell.priority.code,
            "impact": incident.impact.name,
            "urgency": incident.urgency.name,
            "matrix_version": matrix.version,
            "details_confirmed": details_confirmed,
            "parent": parent.reference if parent else None,
            "received_at": incident.received_at.isoformat(),
            "received_at_reason": received_at_reason or None,
        },
        rationale=incident.priority_justification,
    )
    if parent is not None:
        _record_child_linked(parent=parent, child=incident, actor=actor, rationale="")
        hooks.emit("incident_linked", incident=incident, parent=parent)
    hooks.emit("incident_logged", incident=incident, at=now)
    return incident


def lock_incident(incident_id: int, expected_version: int | None) -> Incident:
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("priority", "impact", "urgency", "category")
        .get(pk=incident_id)
    )
    if expected_version is not None and expected_version != incident.version:
        raise Conflict(reference=incident.reference, current_version=incident.version)
    return incident


def save_incident(incident: Incident, fields: list[str]) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def update_incident(
    *, incident_id: int, actor, expected_version: int, changes: dict, rationale: str = ""
) -> Incident:
    """Edit details. A stale expected_version is refused with Conflict, never overwritten."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise Invalid({f: ["This field cannot be changed here."] for f in sorted(unknown)})
    changes = dict(changes)
    phone_errors = _normalise_phone(changes)
    if phone_errors:
        raise Invalid(phone_errors)
    incident = lock_incident(incident_id, expected_version)
    changed = {
        field: [events.jsonable(getattr(incident, field)), events.jsonable(value)]
        for field, value in changes.items()
        if getattr(incident, field) != value
    }
    if not changed:
        return incident
    errors = missing_fields({**_fields_of(incident), **changes})
    if errors:
        raise Invalid(errors)
    for field in changed:
        setattr(incident, field, changes[field])
    save_incident(incident, list(changed))
    events.record(
        incident=incident,
        kind=EventKind.UPDATED,
        actor=actor,
        data={"changes": changed},
        rationale=rationale,
    )
    return incident


@transaction.atomic
def confirm_details(*, incident_id: int, actor, expected_version: int | None = None) -> Incident:
    """The agent read the details back to the caller and the caller agreed."""
    incident = lock_incident(incident_id, expected_version)
    if incident.details_confirmed_at is None:
        incident.details_confirmed_at = timezone.now()
        save_incident(incident, ["details_confirmed_at"])
        events.record(incident=incident, kind=EventKind.DETAILS_CONFIRMED, actor=actor)
    return incident


@transaction.atomic
def change_status(
    *,
    incident_id: int,
    actor,
    to_status: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Incident:
    incident = lock_incident(incident_id, expected_version)
    from_status = incident.status
    reason = reason.strip()
    check_transition(incident, to_status, actor=actor, reason=reason, service="change_status")
    now = timezone.now()
    apply_status(incident, to_status, at=now)
    events.record(
        incident=incident,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        data={"from": from_status, "to": to_status},
        rationale=reason,
    )
    if to_status == Status.CANCELLED:
        # Its open escalation alerts close with it (resolve and close emit it in care).
        hooks.emit("incident_settled", incident=incident, actor=actor, at=now)
    return incident


def check_transition(
    incident: Incident, to_status: str, *, actor=None, reason: str = "", service: str = ""
) -> None:
    """Every status change asks the lifecycle table here: may it move there now, may this
    actor make the move, and does it have what the move requires.

    `service` is the service asking ("change_status", "resolve", …): a move the table gives
    to another service is refused with the name of the one to use. An actor of None is the
    system or a resource reporting through its status link, acting on a rule: it needs no
    permission, but it cannot cancel a major incident.
    """
    if not incident.can_move_to(to_status):
        raise InvalidTransition(
            f"{incident.reference} is {Status(incident.status).label.lower()}: it cannot move "
            f"to “{_label(to_status)}”. Allowed next: "
            f"{', '.join(Status(s).label for s in incident.allowed_statuses()) or 'none'}."
        )
    move = lifecycle.MOVES[to_status]
    if service and service != move.service:
        raise InvalidTransition(
            f"Use “{move.service}” to mark {incident.reference} "
            f"{_label(to_status).lower()}: it records what the customer was told and agreed."
        )
    if actor is not None and not actor.has_perm(move.permission):
        raise NotPermitted(f"You may not mark {incident.reference} {_label(to_status).lower()}.")
    major = move.major_permission and lifecycle.is_major(incident.priority.rank)
    if major and (actor is None or not actor.has_perm(move.major_permission)):
        raise NotPermitted(
            f"{incident.reference} is a {incident.priority.code}: only a supervisor may mark it "
            f"{_label(to_status).lower()}. Ask a supervisor, or escalate it."
        )
    reason = reason.strip()
    if move.needs_reason and not reason:
        raise Invalid({"reason": [f"Give a reason to mark it {_label(to_status)}."]})
    if major and not lifecycle.is_substantial(reason):
        raise Invalid(
            {
                "reason": [
                    f"Say in at least {lifecycle.SUBSTANTIAL_REASON_WORDS} words "
                    f"({lifecycle.SUBSTANTIAL_REASON_CHARS} characters or more) why a "
                    f"{incident.priority.code} is {_label(to_status).lower()}: it stops every "
                    "clock."
                ]
            }
        )
    if move.needs_active_dispatch and not active_dispatches(incident):
        raise InvalidTransition(
            f"{incident.reference} has no resource on an active dispatch: it cannot be "
            f"“{_label(to_status)}”. Dispatch a resource first."
        )


def active_dispatches(incident: Incident) -> int:
    """How many dispatches are active on the incident: the dispatch app answers the hook."""
    return sum(hooks.emit("active_dispatches", incident=incident))


def apply_status(incident: Incident, to_status: str, *, at: datetime) -> None:
    """Make an already checked move and set the SLA clocks as the lifecycle table says."""
    if lifecycle.pauses_clocks(incident.status):
        timers.resume_timers(incident=incident, at=at)
    move = lifecycle.MOVES[to_status]
    if move.pauses:
        timers.pause_timers(incident=incident, at=at, kinds=move.pauses)
    if move.meets:
        timers.meet_timers(incident=incident, kinds=list(move.meets), at=at)
    if move.restarts:
        timers.reopen_timers(incident=incident, at=at)
    incident.status = to_status
    save_incident(incident, ["status"])


@transaction.atomic
def record_response(
    *,
    incident_id: int,
    actor,
    how: str,
    reason: str = "",
    dispatch_id: int | None = None,
    message_id: int | None = None,
    at: datetime | None = None,
) -> bool:
    """A real response reached the incident: the one place the response clock is met.

    The first response meets it (lifecycle.RESPONSES says which count and who may record
    one); later ones change nothing. Returns whether this one met it.
    """
    rule = lifecycle.RESPONSES[how]
    reason = reason.strip()
    if rule.permission and actor is not None and not actor.has_perm(rule.permission):
        raise NotPermitted("Only a supervisor may record a response given by other means.")
    if rule.needs_reason and not reason:
        raise Invalid({"reason": ["Say how the response was given (who, by what means)."]})
    incident = lock_incident(incident_id, None)
    running = incident.timers.filter(kind=TimerKind.RESPONSE, met_at__isnull=True).exists()
    if not running or not incident.is_open:
        return False
    at = at or timezone.now()
    timers.meet_timers(incident=incident, kinds=[TimerKind.RESPONSE], at=at)
    data = {"how": how}
    if dispatch_id is not None:
        data["dispatch_id"] = dispatch_id
    if message_id is not None:
        data["message_id"] = message_id
    events.record(
        incident=incident, kind=EventKind.RESPONSE_MET, actor=actor, data=data, rationale=reason
    )
    return True


@transaction.atomic
def await_acknowledgement(*, incident_id: int, since: datetime | None) -> None:
    """Dispatch reports when its oldest active dispatch nobody acknowledged was made (None:
    no one is waited for); the acknowledgement clock follows (incidents.clock)."""
    incident = lock_incident(incident_id, None)
    timers.await_acknowledgement(incident=incident, since=since, at=timezone.now())


def _label(status: str) -> str:
    return Status(status).label if status in Status.values else str(status)


@transaction.atomic
def reprioritise(
    *,
    incident_id: int,
    actor,
    impact: ImpactLevel,
    urgency: UrgencyLevel,
    reason: str,
    expected_version: int | None = None,
) -> Incident:
    """New impact and urgency, priority recomputed from the matrix, with a mandatory reason."""
    if not reason.strip():
        raise Invalid({"reason": ["Say why the priority changes."]})
    incident = lock_incident(incident_id, expected_version)
    if not incident.is_open:
        raise InvalidTransition(f"{incident.reference} is {incident.status}: reopen it first.")
    cell, matrix = selectors.matrix_cell(impact=impact, urgency=urgency)
    before = {
        "from_impact": incident.impact.name,
        "from_urgency": incident.urgency.name,
        "from_priority": incident.priority.code,
    }
    incident.impact, incident.urgency, incident.priority = impact, urgency, cell.priority
    incident.matrix_version = matrix.version
    incident.priority_justification = reason.strip()
    save_incident(
        incident, ["impact", "urgency", "priority", "matrix_version", "priority_justification"]
    )
    timers.retarget_timers(incident=incident)
    events.record(
        incident=incident,
        kind=EventKind.REPRIORITISED,
        actor=actor,
        data={
            **before,
            "to_impact": impact.name,
            "to_urgency": urgency.name,
            "to_priority": cell.priority.code,
            "matrix_version": matrix.version,
            "by_escalation": False,
        },
        rationale=reason.strip(),
    )
    return incident


@transaction.atomic
def raise_priority(*, incident_id: int, actor, reason: str) -> Incident:
    """One priority up, outside the matrix: an escalation step's action, recorded with why.

    Impact and urgency stay as assessed; the timeline says the escalation raised it.
    """
    incident = lock_incident(incident_id, None)
    higher = Priority.objects.filter(rank__lt=incident.priority.rank).order_by("-rank").first()
    if higher is None or not incident.is_open:
        return incident
    before = incident.priority.code
    incident.priority = higher
    save_incident(incident, ["priority"])
    timers.retarget_timers(incident=incident)
    events.record(
        incident=incident,
        kind=EventKind.REPRIORITISED,
        actor=actor,
        data={"from_priority": before, "to_priority": higher.code, "by_escalation": True},
        rationale=reason,
    )
    return incident


def _check_parent(*, child: Incident | None, parent: Incident) -> None:
    if child is not None and child.pk == parent.pk:
        raise Invalid({"parent": ["An incident cannot be linked to itself."]})
    if parent.parent_id is not None:
        raise Invalid(
            {
                "parent": [
                    f"{parent.reference} is itself linked to {parent.parent.reference}: "
                    f"link to {parent.parent.reference} instead."
                ]
            }
        )
    if child is not None and child.children.exists():
        raise Invalid(
            {
                "parent": [
                    f"{child.reference} has calls linked to it, "
                    "so it cannot be linked under another."
                ]
            }
        )
    if not parent.is_open:
        raise Invalid({"parent": [f"{parent.reference} is {parent.status}."]})


def _record_child_linked(*, parent: Incident, child: Incident, actor, rationale: str) -> None:
    events.record(
        incident=parent,
        kind=EventKind.CHILD_LINKED,
        actor=actor,
        data={"child": child.reference},
        rationale=rationale,
    )


@transaction.atomic
def link_to_parent(
    *,
    incident_id: int,
    parent_id: int,
    actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Several calls about one event: this incident becomes a linked call of the parent."""
    # Lock both rows in id order so two links at once cannot deadlock.
    locked = {
        i.pk: i
        for i in Incident.objects.select_for_update(of=("self",))
        .select_related("parent")
        .filter(pk__in=[incident_id, parent_id])
        .order_by("pk")
    }
    incident, parent = locked.get(incident_id), locked.get(parent_id)
    if parent is None:
        raise Invalid({"parent": ["There is no such incident to link to."]})
    if expected_version is not None and expected_version != incident.version:
        raise Conflict(reference=incident.reference, current_version=incident.version)
    if incident.parent_id == parent.pk:
        return incident
    if incident.parent_id is not None:
        raise Invalid(
            {
                "parent": [
                    f"{incident.reference} is already linked to "
                    f"{incident.parent.reference}: unlink it first."
                ]
            }
        )
    _check_parent(child=incident, parent=parent)
    incident.parent = parent
    save_incident(incident, ["parent"])
    timers.follow_parent(incident=incident, at=timezone.now())
    events.record(
        incident=incident,
        kind=EventKind.LINKED,
        actor=actor,
        data={"parent": parent.reference},
        rationale=reason,
    )
    _record_child_linked(parent=parent, child=incident, actor=actor, rationale=reason)
    # Its own alerts and due work end: the parent's escalation speaks for the event now.
    hooks.emit("incident_linked", incident=incident, parent=parent)
    return incident


@transaction.atomic
def unlink(
    *, incident_id: int, actor, reason: str, expected_version: int | None = None
) -> Incident:
    if not reason.strip():
        raise Invalid({"reason": ["Say why this call is not part of that incident."]})
    incident = lock_incident(incident_id, expected_version)
    parent = incident.parent
    if parent is None:
        return incident
    incident.parent = None
    save_incident(incident, ["parent"])
    timers.stop_following_parent(incident=incident, at=timezone.now())
    events.record(
        incident=incident,
        kind=EventKind.UNLINKED,
        actor=actor,
        data={"parent": parent.reference},
        rationale=reason.strip(),
    )
    events.record(
        incident=parent,
        kind=EventKind.CHILD_UNLINKED,
        actor=actor,
        data={"child": incident.reference},
        rationale=reason.strip(),
    )
    return incident


@transaction.atomic
def save_matrix(
    *, cells: dict[tuple[int, int], int], actor, expected_version: int | None = None
) -> PriorityMatrix:
    """Replace the whole grid at once and bump its version: {(impact_id, urgency_id): priority_id}.

    Incidents keep the version they were prioritised with.
    """
    impacts = set(ImpactLevel.objects.values_list("pk", flat=True))
    urgencies = set(UrgencyLevel.objects.values_list("pk", flat=True))
    expected = {(i, u) for i in impacts for u in urgencies}
    if set(cells) != expected:
        raise Invalid(
            {
                "matrix": [
                    "Every impact × urgency cell needs exactly one priority: "
                    "the grid is incomplete."
                ]
            }
        )
    priorities = set(Priority.objects.values_list("pk", flat=True))
    if not set(cells.values()) <= priorities:
        raise Invalid({"matrix": ["A cell names a priority that does not exist."]})
    matrix = PriorityMatrix.objects.select_for_update().order_by("pk").first()
    current = matrix.version if matrix else 0
    if expected_version is not None and expected_version != current:
        raise Conflict(reference="The priority matrix", current_version=current)
    if matrix is None:
        matrix = PriorityMatrix.objects.create(updated_by=actor, version=1)
    else:
        matrix.version += 1
        matrix.updated_by = actor
        matrix.save(update_fields=["version", "updated_by", "updated_at"])
    matrix.cells.all().delete()
    MatrixCell.objects.bulk_create(
        MatrixCell(matrix=matrix, impact_id=i, urgency_id=u, priority_id=p)
        for (i, u), p in cells.items()
    )
    return matrix
