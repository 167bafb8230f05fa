"""Erasure by anonymisation (UK GDPR art. 17) and the retention that runs it on schedule.

An erased incident stays: its reference, category, priority, statuses, every time on it
and its SLA clocks are what the KPIs count, so none of them changes. What goes is the
caller: their name, phone and email on the incident, and every copy of them —

- the incident's free text (summary, description, location, priority justification, asset
  references): whole-word copies of the caller's name, phone or email are replaced;
- timeline events (the one recorded exception to the append-only timeline): the data
  fields the catalogue marks as the caller's (`caller=True`, and the caller keys of a
  details edit) are replaced, and copies inside any other text of the event (its data and
  rationale) too; the event kinds, times, actors and ids stay, so the timeline's structure
  and the KPIs read from it are unchanged. A `caller_redacted` event records which events
  were rewritten and why, never what was erased;
- customer care: copies in what customers were told (update messages) and in resolution
  notes; the address an update went to, who confirmed a closure, survey comments (the
  caller's own words, erased whole in the survey and on its event; the score stays) and
  the address a survey link went to;
- the outbox: messages to the caller lose address, name and body; messages about the
  incident to resources or staff (briefings, escalation emails) keep their body with the
  caller's details replaced; delivery errors likewise;
- dispatch briefings, override and recall reasons, broadcasts; escalation firing reasons;
- the incident's idempotency keys (a hash of the request that logged it) are deleted;
- admin log entries about the incident.

Only an exact copy is found: a misspelt name in free text is not. Open incidents are
refused (the caller is still owed updates): erase once it is closed or cancelled.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from core.errors import InvalidTransition
from core.models import IdempotencyKey
from customer_care.models import (
    Closure,
    CustomerUpdate,
    Resolution,
    Satisfaction,
    SatisfactionLink,
)
from dispatch.models import Broadcast, Dispatch
from escalation.models import EscalationEvent
from incidents import contact, events, timeline
from incidents.lifecycle import CLOSED_STATUSES
from incidents.models import EventKind, Incident, IncidentEvent, RecordType
from incidents.services import lock_incident, save_incident
from messaging.models import DeliveryAttempt, Message
from privacy.selectors import Subject, incidents_of

logger = logging.getLogger(__name__)

# What stands where the caller's details were.
ERASED = "[erased]"
# Messages whose recipient is the caller: their whole content is theirs.
TO_CALLER = ("customer_update", "satisfaction_link")
# Events whose free text is the caller's own words (a survey comment): erased whole.
CALLERS_WORDS = (EventKind.SATISFACTION_RECORDED,)


class Because:
    REQUEST = "request"
    RETENTION = "retention"


@dataclass
class Erased:
    """What an erasure did: the incidents anonymised (references) and the rows rewritten."""

    incidents: list[str] = field(default_factory=list)
    rows: int = 0


def erase_subject(*, subject: Subject, actor) -> Erased:
    """Anonymise every incident of the person (their erasure request), in one transaction:
    all of it or, if one incident is still open, none of it."""
    with transaction.atomic():
        found = list(incidents_of(subject).order_by("pk").values_list("pk", flat=True))
        done = Erased()
        for incident_id in found:
            done.rows += _anonymise(
                incident_id=incident_id, actor=actor, because=Because.REQUEST, extra=subject
            )
            done.incidents.append(Incident(pk=incident_id).reference)
    return done


def anonymise_incident(*, incident_id: int, actor=None, because: str) -> int:
    """Anonymise one incident's caller; returns the rows rewritten."""
    with transaction.atomic():
        return _anonymise(incident_id=incident_id, actor=actor, because=because, extra=None)


def _anonymise(*, incident_id: int, actor, because: str, extra: Subject | None) -> int:
    incident = lock_incident(incident_id, None)
    if incident.status not in CLOSED_STATUSES:
        raise InvalidTransition(
            f"{incident.reference} is {incident.get_status_display().lower()}: close it "
            "before erasing the caller (they are still owed updates)."
        )
    values = [getattr(incident, name) for name in contact.FIELDS]
    # Details the caller had before an edit are theirs too (the edit's event holds them).
    for kind, data in IncidentEvent.objects.filter(incident=incident).values_list("kind", "data"):
        values += timeline.caller_values(kind, data)
    if extra is not None:
        values += [extra.phone, extra.email]
    values = [v for v in values if v and v.strip()]
    if not values:
        return 0  # nothing personal left (already anonymised)

    def clean(text: str) -> str:
        return contact.replace_all(text, values, ERASED) if text else text

    rows = _incident_fields(incident, clean)
    rewritten = _events(incident, clean)
    rows += len(rewritten)
    rows += _care(incident, clean)
    rows += _outbox(incident, clean)
    rows += _dispatch_and_escalation(incident, clean)
    _retry_answers(incident)
    rows += _admin_log(incident, clean)
    events.record(
        incident=incident,
        kind=EventKind.CALLER_REDACTED,
        actor=actor,
        data={"events": rewritten, "fields": list(contact.FIELDS), "because": because},
    )
    return rows


def _incident_fields(incident: Incident, clean) -> int:
    incident.caller_name = ERASED if incident.caller_name else ""
    incident.caller_phone = ""
    incident.caller_email = ""
    for name in ("summary", "description", "location", "priority_justification"):
        setattr(incident, name, clean(getattr(incident, name)))
    incident.asset_refs = [clean(ref) for ref in incident.asset_refs]
    save_incident(
        incident,
        [
            *contact.FIELDS,
            "summary",
            "description",
            "location",
            "priority_justification",
            "asset_refs",
        ],
    )
    return 1


def _deep_clean(value, clean):
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_deep_clean(v, clean) for v in value]
    if isinstance(value, dict):
        return {k: _deep_clean(v, clean) for k, v in value.items()}
    return value


def _events(incident: Incident, clean) -> list[int]:
    """Rewrite the caller's details out of the incident's events (bulk_update: the model's
    save() refuses edits, which is the rule everywhere but here)."""
    changed = []
    for event in IncidentEvent.objects.filter(incident=incident).order_by("id"):
        data = timeline.without_caller(event.kind, event.data, replacement=ERASED)
        data = _deep_clean(data, clean)
        if event.kind in CALLERS_WORDS:
            rationale = _erased_if_set(event.rationale)
        else:
            rationale = clean(event.rationale)
        if data != event.data or rationale != event.rationale:
            event.data, event.rationale = data, rationale
            changed.append(event)
    IncidentEvent.objects.bulk_update(changed, ["data", "rationale"])
    return [event.pk for event in changed]


def _rewrite(queryset, fields: dict) -> int:
    """Apply field → function(row value) to every row; one bulk UPDATE for the changed."""
    changed = []
    for row in queryset:
        before = {name: getattr(row, name) for name in fields}
        for name, how in fields.items():
            setattr(row, name, how(before[name]))
        if any(getattr(row, name) != before[name] for name in fields):
            changed.append(row)
    if changed:
        queryset.model.objects.bulk_update(changed, list(fields))
    return len(changed)


def _erased_if_set(value: str) -> str:
    return ERASED if value else value


def _care(incident: Incident, clean) -> int:
    return (
        _rewrite(
            CustomerUpdate.objects.filter(incident=incident),
            {"message": clean, "recipient": lambda v: ""},
        )
        + _rewrite(Resolution.objects.filter(incident=incident), {"notes": clean})
        + _rewrite(Closure.objects.filter(incident=incident), {"confirmed_by": _erased_if_set})
        + _rewrite(Satisfaction.objects.filter(incident=incident), {"comment": _erased_if_set})
        + _rewrite(SatisfactionLink.objects.filter(incident=incident), {"sent_to": lambda v: ""})
    )


def _outbox(incident: Incident, clean) -> int:
    messages = Message.objects.filter(incident=incident)
    to_caller = messages.filter(kind__in=TO_CALLER)
    return (
        _rewrite(
            to_caller,
            {
                "address": lambda v: "",
                "recipient": _erased_if_set,
                "subject": clean,
                "body": _erased_if_set,
                "last_error": clean,
            },
        )
        + _rewrite(
            messages.exclude(kind__in=TO_CALLER),
            {"subject": clean, "body": clean, "last_error": clean},
        )
        + _rewrite(DeliveryAttempt.objects.filter(message__incident=incident), {"error": clean})
    )


def _dispatch_and_escalation(incident: Incident, clean) -> int:
    return (
        _rewrite(
            Dispatch.objects.filter(incident=incident),
            {"briefing": clean, "override_reason": clean, "recall_reason": clean},
        )
        + _rewrite(Broadcast.objects.filter(incident=incident), {"body": clean})
        + _rewrite(EscalationEvent.objects.filter(incident=incident), {"reason": clean})
    )


def _retry_answers(incident: Incident) -> None:
    """Stored answers of retry keys (core.IdempotencyKey) about the incident hold its caller
    as the API showed them: deleted (a retry after this is a new request)."""
    IdempotencyKey.objects.filter(
        Q(path__contains=f"/incidents/{incident.pk}/") | Q(body__id=incident.pk)
    ).delete()


def _admin_log(incident: Incident, clean) -> int:
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=str(incident.pk)
    )
    return _rewrite(entries, {"object_repr": clean, "change_message": clean})


# ---- Retention -------------------------------------------------------------------------------


def retention_months(record_type: str) -> int:
    """How long a closed record keeps its caller, in months (settings.RETENTION_MONTHS, by
    record type: incident, service request, query)."""
    return settings.RETENTION_MONTHS.get(record_type, settings.RETENTION_CALLER_MONTHS)


def due_for_anonymising(*, now=None):
    """Closed or cancelled incidents whose last timeline event is older than their record
    type's retention period, with a caller still on them (not erased already). A month
    counts as 30 days."""
    now = now or timezone.now()
    erased = IncidentEvent.objects.filter(incident=OuterRef("pk"), kind=EventKind.CALLER_REDACTED)
    due = Q(pk__in=[])
    for record_type, months in _periods().items():
        due |= Q(record_type=record_type, last_event_at__lt=now - timedelta(days=30 * months))
    return (
        Incident.objects.filter(status__in=CLOSED_STATUSES)
        .exclude(caller_name="", caller_phone="", caller_email="")
        .annotate(last_event_at=Max("events__at"))
        .filter(due)
        .exclude(Exists(erased))
        .order_by("pk")
    )


def _periods() -> dict[str, int]:
    return {value: retention_months(value) for value in RecordType.values}


def anonymise_due(*, now=None, limit: int = 500) -> list[str]:
    """Anonymise what retention says is due, one incident per transaction (one failure
    does not hold up the rest; the next run picks it up). Returns the references done."""
    done = []
    for incident_id in due_for_anonymising(now=now).values_list("pk", flat=True)[:limit]:
        try:
            anonymise_incident(incident_id=incident_id, because=Because.RETENTION)
        except Exception:
            logger.exception("Retention: could not anonymise incident %s", incident_id)
            continue
        done.append(Incident(pk=incident_id).reference)
    return done
