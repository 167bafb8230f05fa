"""Reads shared by the incident page, the board, the API and the services."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from dispatch.models import (
    ACTIVE_DISPATCH,
    ChannelRule,
    ContactEndpoint,
    Dispatch,
    DispatchStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from incidents import contact
from incidents.models import Incident, reference_for
from messaging.channels import Channel
from messaging.models import DeliveryStatus, Message, MessageKind

# Used when a category has no channel rule at all.
DEFAULT_CHANNELS = [Channel.PHONE, Channel.RADIO, Channel.SMS, Channel.EMAIL]
# "Current load": the dispatches a resource has taken on in this window.
LOAD_WINDOW = timedelta(hours=8)
EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance between two points given in degrees."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def channel_rule(incident: Incident) -> ChannelRule | None:
    """The rule for the incident's category and priority: the priority's own, else the
    category's default."""
    rules = {
        rule.priority_id: rule
        for rule in ChannelRule.objects.filter(
            Q(priority=incident.priority_id) | Q(priority__isnull=True),
            category=incident.category_id,
        )
    }
    return rules.get(incident.priority_id) or rules.get(None)


def channel_order(incident: Incident) -> list[str]:
    """The rule's channels for the incident's category and priority, first choice first."""
    rule = channel_rule(incident)
    return list(rule.channels) if rule else list(DEFAULT_CHANNELS)


def preferred_channel(resource: Resource, order: list[str]) -> str | None:
    """The first channel of the rule that the resource can be reached on."""
    reachable = {endpoint.channel for endpoint in resource.endpoints.all()}
    return next((c for c in order if c in reachable), None)


def resources_with_contacts() -> QuerySet[Resource]:
    return Resource.objects.prefetch_related("endpoints", "skills", "groups")


class Refusal(NamedTuple):
    code: str  # recorded on the timeline (incidents.timeline "dispatch_refusal")
    text: str  # what the dispatcher is told


def refusals(resource: Resource, incident: Incident, *, at=None) -> list[Refusal]:
    """Why this resource may not be sent to this incident; empty when deployable.

    `resource.skills` should be prefetched when this runs over many resources.
    """
    at = at or timezone.now()
    reasons = []
    if resource.verified_until is None:
        reasons.append(
            Refusal(
                "not_verified",
                f"{resource.call_sign} has no identity and authority check on record.",
            )
        )
    elif resource.verified_until <= at:
        reasons.append(
            Refusal(
                "verification_expired",
                f"{resource.call_sign}'s verification expired "
                f"{timezone.localtime(resource.verified_until):%d %b %H:%M}.",
            )
        )
    if not any(skill.pk == incident.category_id for skill in resource.skills.all()):
        reasons.append(
            Refusal(
                "not_skilled", f"{resource.call_sign} is not skilled for {incident.category.name}."
            )
        )
    if resource.status != ResourceStatus.AVAILABLE:
        reasons.append(
            Refusal(
                "not_available",
                f"{resource.call_sign} is {resource.get_status_display().lower()}.",
            )
        )
    return reasons


@dataclass
class Recommendation:
    resource: Resource
    distance_km: float | None
    load: int
    channel: str | None
    reasons: list[str] = field(default_factory=list)

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label if self.channel else "no channel on the rule"


def recommend(incident: Incident, *, limit: int = 10) -> list[Recommendation]:
    """Available, verified resources skilled for the category: nearest first when both
    positions are known, then least loaded; each with the reasons for its place."""
    now = timezone.now()
    order = channel_order(incident)
    candidates = (
        Resource.objects.filter(
            status=ResourceStatus.AVAILABLE,
            verified_until__gt=now,
            skills=incident.category_id,
        )
        .annotate(
            load=Count("dispatches", filter=Q(dispatches__dispatched_at__gte=now - LOAD_WINDOW))
        )
        .values_list("id", "call_sign", "latitude", "longitude", "load")
    )
    placed = incident.latitude is not None and incident.longitude is not None
    ranked = sorted(
        (
            (
                haversine_km(incident.latitude, incident.longitude, lat, lon)
                if placed and lat is not None and lon is not None
                else None,
                load,
                call_sign,
                pk,
            )
            for pk, call_sign, lat, lon, load in candidates
        ),
        key=lambda r: (r[0] is None, r[0] or 0.0, r[1], r[2]),
    )[:limit]
    # Only the few shown need their whole row and contacts.
    full = Resource.objects.prefetch_related("endpoints").in_bulk([pk for *_, pk in ranked])
    best = [
        Recommendation(resource=full[pk], distance_km=distance, load=load, channel=None)
        for distance, load, _, pk in ranked
    ]
    for r in best:
        r.channel = preferred_channel(r.resource, order)
        r.reasons = _reasons(r, incident=incident, placed=placed, order=order)
    return best


def _reasons(
    rec: Recommendation, *, incident: Incident, placed: bool, order: list[str]
) -> list[str]:
    resource = rec.resource
    reasons = []
    if rec.distance_km is not None:
        km = rec.distance_km
        reasons.append(f"{km * 1000:.0f} m away" if km < 1 else f"{km:.1f} km away")
    elif not placed:
        reasons.append("incident has no position: ranked by load")
    else:
        reasons.append("position unknown: ranked after those with a distance")
    reasons.append(
        "no other jobs this shift" if rec.load == 0 else f"{rec.load} job(s) in the last 8 h"
    )
    reasons.append(f"skilled for {incident.category.name}")
    reasons.append(f"verified until {timezone.localtime(resource.verified_until):%d %b %Y %H:%M}")
    if rec.channel:
        reasons.append(f"reach by {Channel(rec.channel).label.lower()} (rule: {_names(order)})")
    else:
        reasons.append(f"no contact on the rule's channels ({_names(order)})")
    return reasons


def _names(order: list[str]) -> str:
    return " → ".join(Channel(c).label for c in order if c in Channel.values)


# Model get_FOO_display() rebuilds a lookup per call; the panel shows hundreds of rows.
KIND_LABELS = dict(ResourceKind.choices)
STATUS_LABELS = dict(ResourceStatus.choices)


def resource_row(resource: Resource) -> dict:
    """One resource as the board panel and its live messages show it."""
    current = (
        resource.dispatches.filter(status__in=ACTIVE_DISPATCH).values("id", "incident_id").first()
    )
    return _row(
        id=resource.pk,
        name=resource.name,
        call_sign=resource.call_sign,
        kind=resource.kind,
        status=resource.status,
        dispatch_id=current["id"] if current else None,
        incident_id=current["incident_id"] if current else None,
    )


def _row(*, id, name, call_sign, kind, status, dispatch_id, incident_id) -> dict:
    return {
        "id": id,
        "name": name,
        "call_sign": call_sign,
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, kind),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        # The reference is derived from the incident's id: no join needed.
        "incident": (
            {"id": incident_id, "reference": reference_for(incident_id)} if incident_id else None
        ),
        "dispatch_id": dispatch_id,
    }


def resource_panel() -> list[dict]:
    """Every resource with its status and current incident, in one query (a resource has at
    most one active dispatch, by a unique index, so the join never repeats a row)."""
    rows = (
        Resource.objects.annotate(
            active=FilteredRelation(
                "dispatches", condition=Q(dispatches__status__in=ACTIVE_DISPATCH)
            )
        )
        .order_by("call_sign")
        .values_list("id", "name", "call_sign", "kind", "status", "active__id", "active__incident")
    )
    return [
        _row(
            id=pk,
            name=name,
            call_sign=call_sign,
            kind=kind,
            status=status,
            dispatch_id=dispatch_id,
            incident_id=incident_id,
        )
        for pk, name, call_sign, kind, status, dispatch_id, incident_id in rows
    ]


def briefing_state():
    """The delivery status of each dispatch's briefing, as an annotation ("" if none).

    The one read of the briefing's outbox message for the dispatch rules (acknowledgement
    clock, board warnings).
    """
    briefing = Dispatch.messages.through.objects.filter(
        dispatch=OuterRef("pk"), message__kind=MessageKind.BRIEFING
    ).order_by("-message__created_at", "-message_id")
    return Coalesce(Subquery(briefing.values("message__status")[:1]), Value(""))


def active_dispatch_count(*, incident: Incident) -> int:
    """Answers the lifecycle's "needs an active dispatch" (the `active_dispatches` hook)."""
    return Dispatch.objects.filter(incident=incident, status__in=ACTIVE_DISPATCH).count()


def oldest_unanswered_dispatch_at(incident_id: int):
    """When the oldest active dispatch was made that its resource has not answered: not
    acknowledged (nor moved on), and not briefed by a voice the dispatcher confirmed."""
    return (
        Dispatch.objects.filter(incident_id=incident_id, status=DispatchStatus.DISPATCHED)
        .annotate(briefing_status=briefing_state())
        .exclude(briefing_status=DeliveryStatus.CONFIRMED)
        .order_by("dispatched_at")
        .values_list("dispatched_at", flat=True)
        .first()
    )


def dispatch_warning(dispatch: Dispatch, *, briefing: str, now) -> str:
    """What the board says about a deployment nobody has answered yet ("" when answered)."""
    if dispatch.status != DispatchStatus.DISPATCHED or briefing == DeliveryStatus.CONFIRMED:
        return ""
    if briefing == DeliveryStatus.FAILED:
        return "briefing failed"
    if briefing == DeliveryStatus.AWAITING_CONFIRMATION:
        return "awaiting voice confirmation"
    waited = now - dispatch.dispatched_at
    if waited >= timedelta(minutes=settings.DISPATCH_ACKNOWLEDGE_WITHIN_MINUTES):
        return f"not acknowledged after {int(waited.total_seconds() // 60)} min"
    return ""


def assigned_resources(incident_ids) -> dict[int, list[dict]]:
    """The resources on active dispatches for each incident id, for the board's rows, each
    with a `warning` while its resource has not answered (dispatch_warning). `incident_ids`
    may be a queryset of ids: the board passes its filter as a subquery rather than a
    thousand parameters. An incident with none maps to []."""
    assigned: dict[int, list[dict]] = defaultdict(list)
    dispatches = (
        Dispatch.objects.filter(incident_id__in=incident_ids, status__in=ACTIVE_DISPATCH)
        .select_related("resource")
        # What a row and dispatch_warning read: loading every timestamp of a few hundred
        # dispatches and their resources would cost more than the rest of the query.
        .only("incident_id", "status", "dispatched_at", "resource__call_sign", "resource__name")
        .annotate(briefing_status=briefing_state())
        .order_by("dispatched_at")
    )
    now = timezone.now()
    for dispatch in dispatches:
        assigned[dispatch.incident_id].append(
            {
                "dispatch_id": dispatch.pk,
                "resource_id": dispatch.resource_id,
                "call_sign": dispatch.resource.call_sign,
                "name": dispatch.resource.name,
                "status": dispatch.status,
                "status_label": dispatch.get_status_display(),
                "warning": dispatch_warning(dispatch, briefing=dispatch.briefing_status, now=now),
            }
        )
    return assigned


def incident_dispatches(incident: Incident) -> QuerySet[Dispatch]:
    """The incident's dispatches with their resource and messages, newest first."""
    return (
        Dispatch.objects.filter(incident=incident)
        .select_related("resource", "dispatched_by")
        .prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("created_at")))
    )


def incident_broadcasts(incident: Incident):
    return incident.broadcasts.select_related("group", "sent_by").prefetch_related(
        Prefetch("messages", queryset=Message.objects.order_by("recipient"))
    )


def endpoint_for(resource: Resource, channel: str) -> ContactEndpoint | None:
    return next((e for e in resource.endpoints.all() if e.channel == channel), None)


def filtered_resources(*, status: str = "", skill: str = "", group: str = "") -> QuerySet:
    """Resources for the API list, each with `current_incident` (the id of its active job)."""
    resources = resources_with_contacts().annotate(
        current=FilteredRelation("dispatches", condition=Q(dispatches__status__in=ACTIVE_DISPATCH)),
        current_incident=F("current__incident"),
    )
    if status:
        resources = resources.filter(status=status)
    if skill:
        resources = resources.filter(skills__slug=skill)
    if group:
        resources = resources.filter(groups__name=group)
    return resources.distinct().order_by("call_sign")


def briefing_for(incident: Incident) -> str:
    """A briefing prefilled from the incident, for the dispatcher to edit.

    The caller's contact details go to the resource only if the channel rule shares them
    (ChannelRule.share_caller_contact); otherwise the resource is told to ask the centre."""
    lines = [
        f"{incident.reference} · {incident.priority.code} {incident.priority.name} · "
        f"{incident.category.name}",
        incident.summary,
        f"Location: {incident.location or 'not given'}",
    ]
    if incident.latitude is not None:
        lines[-1] += f" ({incident.latitude}, {incident.longitude})"
    if incident.description:
        lines.append(incident.description[:500])
    if incident.asset_refs:
        lines.append("Assets: " + ", ".join(incident.asset_refs))
    rule = channel_rule(incident)
    if rule is not None and rule.share_caller_contact:
        contact = incident.caller_phone or incident.caller_email
        lines.append(f"Caller: {incident.caller_name}" + (f", {contact}" if contact else ""))
    else:
        lines.append(f"Caller: contact the centre for the caller, quoting {incident.reference}")
    return "\n".join(lines)


# What stands in a briefing for caller details the channel rule does not share.
ASK_THE_CENTRE = "[caller: ask the centre]"


def briefing_without_caller(briefing: str, incident: Incident) -> str:
    """The briefing as the resource may receive it: exact copies of the caller's details
    (typed or pasted by the dispatcher) replaced unless the channel rule shares them."""
    rule = channel_rule(incident)
    if rule is not None and rule.share_caller_contact:
        return briefing
    return contact.mask_text(briefing, incident, replacement=ASK_THE_CENTRE)


def dispatch_choices(incident: Incident) -> dict:
    """What the incident page's dispatch section needs: ranked recommendations, the other
    resources with why they are not deployable, the rule's channels and a prefilled briefing."""
    recommended = recommend(incident)
    order = channel_order(incident)
    chosen = {r.resource.pk for r in recommended}
    others = [
        {"resource": resource, "refusals": [r.text for r in refusals(resource, incident)]}
        for resource in resources_with_contacts().exclude(pk__in=chosen).order_by("call_sign")
    ]
    first = recommended[0].channel if recommended and recommended[0].channel else order[0]
    return {
        "recommended": recommended,
        "others": others,
        "channel_order": [Channel(c) for c in order if c in Channel.values],
        "channel": first,
        "briefing": briefing_for(incident),
    }


def dispatch_detail(pk: int) -> Dispatch | None:
    return (
        Dispatch.objects.select_related("incident", "resource", "dispatched_by")
        .prefetch_related("messages")
        .filter(pk=pk)
        .first()
    )
