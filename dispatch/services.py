"""Every write about resources, dispatches and messages: one function per use case.

Locks are taken in one order everywhere — resource, then dispatch, then incident — so two
dispatchers never deadlock. Each change lands on the incident's timeline through
incidents.events.record, and a resource's new status is published to the board after commit.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import hooks
from core.errors import Invalid, InvalidTransition
from dispatch import links, selectors
from dispatch.errors import NotDeployable, ResourceBusy
from dispatch.models import (
    ACTIVE_DISPATCH,
    BUSY_STATUSES,
    STEP_EFFECTS,
    STEPS,
    Broadcast,
    Dispatch,
    DispatchStatus,
    Resource,
    ResourceGroup,
    ResourceStatus,
)
from incidents import events
from incidents import services as incident_services
from incidents.lifecycle import ResponseHow
from incidents.models import EventKind, Status
from messaging import services as messaging
from messaging.channels import VOICE_CHANNELS, Channel
from messaging.models import DeliveryStatus, Message, MessageKind

# Progress steps that show the resource got its briefing: the first one meets the response.
ANSWERS = frozenset({DispatchStatus.ACKNOWLEDGED, DispatchStatus.EN_ROUTE, DispatchStatus.ON_SCENE})
# Resource statuses a person may set by hand; the busy ones follow the dispatches.
MANUAL_STATUSES = frozenset(
    {ResourceStatus.AVAILABLE, ResourceStatus.UNAVAILABLE, ResourceStatus.OFF_DUTY}
)


def _publish_resource(resource: Resource) -> None:
    hooks.emit("resource_changed", row=selectors.resource_row(resource))


def _lock_resource(resource_id: int) -> Resource:
    resource = (
        Resource.objects.select_for_update(of=("self",))
        .prefetch_related("skills", "endpoints")
        .filter(pk=resource_id)
        .first()
    )
    if resource is None:
        raise Invalid({"resource": ["There is no such resource."]})
    return resource


def _busy_with(resource: Resource) -> ResourceBusy:
    current = (
        resource.dispatches.filter(status__in=ACTIVE_DISPATCH)
        .select_related("incident", "dispatched_by")
        .first()
    )
    if current is None:
        return ResourceBusy(f"{resource.call_sign} is {resource.get_status_display().lower()}.")
    return ResourceBusy(
        f"{resource.call_sign} was just dispatched to {current.incident.reference} by "
        f"{current.dispatched_by.get_username()} at "
        f"{timezone.localtime(current.dispatched_at):%H:%M:%S}. Recall it first, or choose "
        "another resource."
    )


def _label(channel: str) -> str:
    return Channel(channel).label.lower()


@transaction.atomic
def dispatch_resource(
    *,
    incident_id: int,
    resource_id: int,
    channel: str,
    briefing: str,
    actor,
    override_reason: str = "",
    briefed_by_voice: bool = False,
) -> Dispatch:
    """Send a resource to an incident and brief it over a channel.

    Refuses a resource that is unverified, unskilled or unavailable (NotDeployable) unless
    the actor may override and gives a reason; refuses one already on a dispatch
    (ResourceBusy, never overridable).
    """
    briefing, override_reason = briefing.strip(), override_reason.strip()
    if channel not in Channel.values:
        raise Invalid({"channel": ["Choose a channel."]})
    if not briefing:
        raise Invalid({"briefing": ["Write the briefing the resource will receive."]})
    resource = _lock_resource(resource_id)
    if resource.status in BUSY_STATUSES:
        raise _busy_with(resource)
    incident = incident_services.lock_incident(incident_id, None)
    if not incident.takes_resources:
        raise InvalidTransition(
            f"{incident.reference} is {incident.get_status_display().lower()}: "
            "resources are not sent to it."
        )
    refused = selectors.refusals(resource, incident)
    reasons = [r.text for r in refused]
    if reasons:
        if not override_reason:
            raise NotDeployable(
                [*reasons, "A supervisor may override with a written reason."]
                if actor.has_perm("dispatch.override_dispatch")
                else reasons
            )
        if not actor.has_perm("dispatch.override_dispatch"):
            raise NotDeployable([*reasons, "Only a supervisor may override this."])
    else:
        override_reason = ""  # nothing was overridden
    endpoint = selectors.endpoint_for(resource, channel)
    if endpoint is None and channel != Channel.RADIO:
        raise Invalid(
            {"channel": [f"{resource.call_sign} has no {_label(channel)} contact on record."]}
        )
    address = endpoint.address if endpoint else resource.call_sign
    briefing = selectors.briefing_without_caller(briefing, incident)
    now = timezone.now()
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                incident=incident,
                resource=resource,
                channel=channel,
                briefing=briefing,
                dispatched_by=actor,
                override_reason=override_reason,
                dispatched_at=now,
            )
    except IntegrityError:
        # The partial unique index caught a dispatch the lock did not (e.g. a status edited
        # outside the services).
        raise _busy_with(resource) from None
    resource.status = ResourceStatus.DISPATCHED
    resource.save(update_fields=["status", "updated_at"])
    events.record(
        incident=incident,
        kind=EventKind.RESOURCE_DISPATCHED,
        actor=actor,
        data={
            "resource": resource.call_sign,
            "resource_id": resource.pk,
            "dispatch_id": dispatch.pk,
            "channel": channel,
            "override": bool(override_reason),
            "refusals": [r.code for r in refused] if override_reason else [],
        },
        rationale=override_reason,
    )
    if incident.status in (Status.LOGGED, Status.REOPENED):
        # Dispatched, but the response clock runs on until the resource answers.
        incident_services.change_status(
            incident_id=incident.pk, actor=actor, to_status=Status.DISPATCHED
        )
    message = _briefing_message(dispatch, address=address)
    if channel in VOICE_CHANNELS and briefed_by_voice:
        _confirm(message, actor=actor, at=now)
    _acknowledgement_clock(incident.pk)
    _publish_resource(resource)
    return dispatch


def _acknowledgement_clock(incident_id: int) -> None:
    """Tell the incident's clock who is still waited for, after any change to a dispatch."""
    incident_services.await_acknowledgement(
        incident_id=incident_id, since=selectors.oldest_unanswered_dispatch_at(incident_id)
    )


def _briefing_message(dispatch: Dispatch, *, address: str) -> Message:
    incident = dispatch.incident
    subject = f"{incident.reference} {incident.priority.code} {incident.category.name}"
    body = dispatch.briefing
    fields = {
        "kind": MessageKind.BRIEFING,
        "incident": incident,
        "recipient": dispatch.resource.call_sign,
        "channel": dispatch.channel,
        "address": address,
        "subject": f"{subject}: {incident.summary}",
        "body": body,
    }
    if dispatch.channel in VOICE_CHANNELS:
        message = messaging.record_spoken(**fields)
    else:
        hours = settings.DISPATCH_STATUS_LINK_MAX_AGE // 3600
        fields["body"] += (
            f"\n\nReport your progress (acknowledge, en route, on scene, clear): "
            f"{links.status_url(dispatch.pk)}\nThe link works for {hours} hours."
        )
        message = messaging.enqueue(**fields, signing_secret=_signing_secret(dispatch))
    dispatch.messages.add(message)
    return message


def _signing_secret(dispatch: Dispatch) -> str:
    if dispatch.channel != Channel.WEBHOOK:
        return ""
    endpoint = selectors.endpoint_for(dispatch.resource, Channel.WEBHOOK)
    return endpoint.secret if endpoint else ""


def _dispatch_of(message: Message) -> dict:
    """The dispatch a briefing belongs to, for the timeline (a broadcast has none)."""
    dispatch = Dispatch.objects.filter(messages=message).values("pk", "resource_id").first()
    return (
        {"dispatch_id": dispatch["pk"], "resource_id": dispatch["resource_id"]} if dispatch else {}
    )


def _confirm(message: Message, *, actor, at: datetime) -> Message:
    message, changed = messaging.confirm_spoken(message_id=message.pk, actor=actor, at=at)
    if not changed:
        return message
    events.record(
        incident=message.incident,
        kind=EventKind.BRIEFING_CONFIRMED,
        actor=actor,
        data={
            "message_id": message.pk,
            **_dispatch_of(message),
            "resource": message.recipient,
            "channel": message.channel,
            "briefed_at": at.isoformat(),
        },
    )
    # Spoken and confirmed: the resource heard it, a real response.
    incident_services.record_response(
        incident_id=message.incident_id,
        actor=actor,
        how=ResponseHow.VOICE_BRIEFING,
        dispatch_id=_dispatch_of(message).get("dispatch_id"),
        message_id=message.pk,
        at=at,
    )
    return message


@transaction.atomic
def confirm_voice_briefing(*, message_id: int, actor, at: datetime | None = None) -> Message:
    """The dispatcher spoke the briefing by radio or phone: that confirmation is the record."""
    message = Message.objects.get(pk=message_id)
    message = _confirm(message, actor=actor, at=at or timezone.now())
    _acknowledgement_clock(message.incident_id)
    return message


@transaction.atomic
def progress_dispatch(
    *, dispatch_id: int, step: str, actor=None, reason: str = "", via: str = "dispatcher"
) -> Dispatch:
    """Acknowledge, en route, on scene, clear or recall; moves the resource and incident too.

    `actor` is None when the resource reports through its status link (`via="status_link"`).
    A step already taken is a no-op, so a double tap or a retried request is harmless.
    """
    reason = reason.strip()
    resource_id = Dispatch.objects.values_list("resource_id", flat=True).get(pk=dispatch_id)
    resource = _lock_resource(resource_id)
    dispatch = (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=dispatch_id)
    )
    if dispatch.status == step:
        return dispatch
    if step not in STEPS.get(dispatch.status, ()):
        names = ", ".join(DispatchStatus(s).label for s in dispatch.next_steps()) or "none"
        raise InvalidTransition(
            f"{resource.call_sign} is {dispatch.get_status_display().lower()} on "
            f"{dispatch.incident.reference}: it cannot be marked “{_step_label(step)}”. "
            f"Next: {names}."
        )
    if step == DispatchStatus.RECALLED and not reason:
        raise Invalid({"reason": ["Say why the resource is recalled."]})
    now = timezone.now()
    resource_status, stamp = STEP_EFFECTS[step]
    dispatch.status = step
    setattr(dispatch, stamp, now)
    fields = ["status", stamp]
    if step == DispatchStatus.RECALLED:
        dispatch.recall_reason = reason
        fields.append("recall_reason")
    dispatch.save(update_fields=fields)
    resource.status = resource_status
    resource.save(update_fields=["status", "updated_at"])
    incident = dispatch.incident
    recalled = step == DispatchStatus.RECALLED
    events.record(
        incident=incident,
        kind=EventKind.RESOURCE_RECALLED if recalled else EventKind.DISPATCH_PROGRESS,
        actor=actor,
        data={
            "resource": resource.call_sign,
            "resource_id": resource.pk,
            "dispatch_id": dispatch.pk,
            **({} if recalled else {"step": step}),
            "via": via,
        },
        rationale=reason,
    )
    if step in ANSWERS:
        incident_services.record_response(
            incident_id=incident.pk,
            actor=actor,
            how=ResponseHow.ACKNOWLEDGED_DISPATCH,
            dispatch_id=dispatch.pk,
            at=now,
        )
    _acknowledgement_clock(incident.pk)
    if step == DispatchStatus.ON_SCENE and incident.status in (
        Status.LOGGED,
        Status.REOPENED,
        Status.DISPATCHED,
    ):
        incident_services.change_status(
            incident_id=incident.pk, actor=actor, to_status=Status.IN_PROGRESS
        )
    _publish_resource(resource)
    return dispatch


def _step_label(step: str) -> str:
    return DispatchStatus(step).label if step in DispatchStatus.values else str(step)


@transaction.atomic
def broadcast(*, incident_id: int, group_id: int, channel: str, body: str, actor) -> Broadcast:
    """One message to every member of a group, with a delivery record per recipient."""
    body = body.strip()
    if not body:
        raise Invalid({"body": ["Write the message to broadcast."]})
    if channel not in Channel.values:
        raise Invalid({"channel": ["Choose a channel."]})
    group = ResourceGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise Invalid({"group": ["There is no such group."]})
    incident = incident_services.lock_incident(incident_id, None)
    members = list(group.resources.prefetch_related("endpoints").order_by("call_sign"))
    if not members:
        raise Invalid({"group": [f"{group.name} has no members."]})
    now = timezone.now()
    sent = Broadcast.objects.create(
        incident=incident, group=group, channel=channel, body=body, sent_by=actor, sent_at=now
    )
    voice = channel in VOICE_CHANNELS
    subject = f"{incident.reference} broadcast to {group.name}"[:200]
    for member in members:
        endpoint = selectors.endpoint_for(member, channel)
        fields = {
            "kind": MessageKind.BROADCAST,
            "incident": incident,
            "recipient": member.call_sign,
            "channel": channel,
            "subject": subject,
            "body": body,
            "at": now,
        }
        address = endpoint.address if endpoint else ""
        if voice:
            # On a voice channel the dispatcher speaks to the talk group as they press send.
            message = messaging.record_spoken(**fields, address=address, confirmed_by=actor)
        elif endpoint is None:
            message = messaging.record_undeliverable(
                **fields, error=f"{member.call_sign} has no {_label(channel)} contact on record."
            )
        else:
            message = messaging.enqueue(**fields, address=address, signing_secret=endpoint.secret)
        sent.messages.add(message)
    events.record(
        incident=incident,
        kind=EventKind.BROADCAST_SENT,
        actor=actor,
        data={
            "broadcast_id": sent.pk,
            "group_id": group.pk,
            "group": group.name,
            "channel": channel,
            "recipients": [m.call_sign for m in members],
        },
        rationale=body,
    )
    return sent


def on_message_finished(*, message: Message) -> None:
    """A briefing's outcome, or a broadcast message that failed, is for the dispatcher to
    see on the timeline (subscribed to messaging's message_finished hook)."""
    if message.kind not in (MessageKind.BRIEFING, MessageKind.BROADCAST):
        return
    ok = message.status == DeliveryStatus.SENT
    if message.kind == MessageKind.BROADCAST and ok:
        return
    events.record(
        incident=message.incident,
        kind=EventKind.MESSAGE_DELIVERY,
        data={
            "message_id": message.pk,
            "message_kind": message.kind,
            "resource": message.recipient,
            "channel": message.channel,
            "status": message.status,
            "attempts": message.attempts,
        },
        rationale=message.last_error,
    )


@transaction.atomic
def set_resource_status(*, resource_id: int, status: str, actor) -> Resource:
    """Available, unavailable or off duty, set by a person; busy statuses follow dispatches."""
    if status not in MANUAL_STATUSES:
        raise Invalid({"status": ["Choose available, unavailable or off duty."]})
    resource = _lock_resource(resource_id)
    if resource.status in BUSY_STATUSES:
        raise _busy_with(resource)
    if resource.status != status:
        resource.status = status
        resource.save(update_fields=["status", "updated_at"])
        _publish_resource(resource)
    return resource


@transaction.atomic
def verify_resource(*, resource_id: int, actor, valid_for: timedelta, note: str = "") -> Resource:
    """A person checked the resource's identity and authority; valid for a while."""
    resource = _lock_resource(resource_id)
    now = timezone.now()
    resource.verified_by, resource.verified_at = actor, now
    resource.verified_until = now + valid_for
    resource.verification_note = note.strip()[:200] or resource.verification_note
    resource.save(
        update_fields=[
            "verified_by",
            "verified_at",
            "verified_until",
            "verification_note",
            "updated_at",
        ]
    )
    return resource
