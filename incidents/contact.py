"""Who may see a caller's contact details, and the record of every time someone did.

The caller's name, phone and email (Incident.caller_*) are shown only to a user who may
see them for that incident:

- `incidents.view_all_caller_contact` (Supervisor, Data protection officer): every incident;
- `incidents.view_caller_contact` (Agent): an incident that is open, or that they handle;
  "handle" read from the data: they logged it (`created_by`) or acted on it (an event of
  its timeline has them as actor — a status change, an update to the caller, a dispatch…).
  Incidents have no assignee field, so "assigned to" is the same as having acted on it.

Everyone else gets the incident without them: pages say "hidden", the API leaves the
fields out, timeline text and data read HIDDEN in their place, and free text (the
rationale of an event, a customer update) has exact copies of the caller's details masked.

Every response that shows the details writes ContactView rows (log_views): one per
incident shown, all of one request in one INSERT.
"""

import re
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from core import phones
from incidents import timeline
from incidents.lifecycle import OPEN_STATUSES
from incidents.models import ContactView, Incident, IncidentEvent

FIELDS = ("caller_name", "caller_phone", "caller_email")
SCOPED = "incidents.view_caller_contact"
EVERY = "incidents.view_all_caller_contact"
# What stands in for a detail the reader may not see.
HIDDEN = "[hidden]"


def _handled_by(user) -> Q:
    acted = IncidentEvent.objects.filter(incident=OuterRef("pk"), actor=user)
    return Q(created_by=user) | Q(Exists(acted))


def visible_condition(user) -> Q | None:
    """A filter on Incident for those whose caller details the user may see; None: every one."""
    if user.has_perm(EVERY):
        return None
    if not user.has_perm(SCOPED):
        return Q(pk__in=[])
    return Q(status__in=OPEN_STATUSES) | _handled_by(user)


def visible_ids(user, incidents: Iterable[Incident]) -> set[int]:
    """The ids among `incidents` whose caller details the user may see: no query for open
    incidents or those they logged, one query for the rest."""
    incidents = list(incidents)
    condition = visible_condition(user)
    if condition is None:
        return {incident.pk for incident in incidents}
    if not user.has_perm(SCOPED):
        return set()
    seen = {i.pk for i in incidents if i.status in OPEN_STATUSES or i.created_by_id == user.pk}
    rest = [i.pk for i in incidents if i.pk not in seen]
    if rest:
        seen |= set(Incident.objects.filter(condition, pk__in=rest).values_list("pk", flat=True))
    return seen


def may_view(user, incident: Incident) -> bool:
    return incident.pk in visible_ids(user, [incident])


def shown_fields(incident: Incident) -> list[str]:
    """The caller fields the incident holds (an empty one shows nothing, so is not logged)."""
    return [name for name in FIELDS if getattr(incident, name)]


def log_views(*, user, incidents: Iterable[Incident], via: str, path: str = "") -> None:
    """Record that the user was shown these incidents' caller details: one INSERT."""
    rows = [
        ContactView(
            user=user, incident=incident, fields=shown_fields(incident), via=via, path=path[:300]
        )
        for incident in incidents
        if shown_fields(incident)
    ]
    if rows:
        ContactView.objects.bulk_create(rows)


def mask_text(text: str, incident: Incident, *, replacement: str = HIDDEN) -> str:
    """Free text with exact copies of the incident's caller details replaced (longest
    first, so a name inside an email address does not leave the rest behind)."""
    if not text:
        return text
    return replace_all(text, [getattr(incident, name) for name in FIELDS], replacement)


def replace_all(text: str, values: Iterable[str], replacement: str) -> str:
    """Every whole occurrence of each value (case-insensitively, not inside a longer word:
    a caller called Ann leaves "Annex" alone), longest value first; a phone number in any
    of the ways people write it (core.phones.written_forms).

    Cheap when nothing is there (the board masks every row): a value is looked for only
    when the text contains it, or, for a phone, the last digits of its number."""
    if not text:
        return text
    lowered, digits = text.lower(), None
    wanted = set()
    for value in values:
        value = (value or "").strip()
        if not value:
            continue
        if value.lower() in lowered:
            wanted.add(value)
        tail = re.sub(r"\D", "", value)[-6:]
        if len(tail) == 6:
            digits = re.sub(r"\D", "", text) if digits is None else digits
            if tail in digits:
                wanted.update(phones.written_forms(value))
    for value in sorted(wanted, key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(value)}(?!\w)"
        text = re.sub(pattern, lambda _: replacement, text, flags=re.IGNORECASE)
    return text


# The incident's own free text, where an agent may have typed the caller's details.
TEXT_FIELDS = ("summary", "description", "location", "priority_justification")


def hide_in_text(incident: Incident) -> Incident:
    """For display only, never saved: the incident's free text with copies of its caller's
    details masked (a page or list row shown to a user who may not see them)."""
    for name in TEXT_FIELDS:
        setattr(incident, name, mask_text(getattr(incident, name), incident))
    return incident


def _event_values(event: IncidentEvent) -> list[str]:
    """The caller's details as the incident holds them now and as this event recorded them
    (a details edit holds the old ones)."""
    now = [getattr(event.incident, name) for name in FIELDS]
    return [*now, *timeline.caller_values(event.kind, event.data)]


def event_text(event: IncidentEvent, *, visible: bool) -> str:
    """The one renderer's words, with the caller's details hidden unless visible."""
    if visible:
        return timeline.render(event)
    words = timeline.render(event, caller_hidden=HIDDEN)
    return replace_all(words, _event_values(event), HIDDEN)


def event_data(event: IncidentEvent, *, visible: bool) -> dict:
    if visible:
        return event.data
    return timeline.without_caller(event.kind, event.data, replacement=HIDDEN)


def rationale(event: IncidentEvent, *, visible: bool) -> str:
    if visible or not event.rationale:
        return event.rationale
    return replace_all(event.rationale, _event_values(event), HIDDEN)
