"""Every write about resources, dispatches and messages: one function per use case.

Locks are taken in one order everywhere — resource, then dispatch, then incident — so two
dispatchers never deadlock. Each change lands on the incident's timeline through
incidents.events.record, and a resource's new status is published to the board after commit.
"""

from datetime import datetime, timedelta

from celery import current_app
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
    DeliveryStatus,
    Dispatch,
    DispatchStatus,
    Message,
    MessageKind,
    Resource,
    ResourceGroup,
    ResourceStatus,
)
from incidents import events
from incidents import services as incident_services
from incidents.lifecycle import ResponseHow
from incidents.models import EventKind, Status
from messaging import adapters
from messaging.channels import VOICE_CHANNELS, Channel

DELIVER_TASK = "dispatch.deliver_message"
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
    reasons = selectors.refusals(resource, incident)
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
            "text": f"{resource} dispatched by {_label(channel)}"
            + (" (override)" if override_reason else ""),
            "resource": resource.call_sign,
            "resource_id": resource.pk,
            "dispatch_id": dispatch.pk,
            "channel": channel,
            "override": bool(override_reason),
            "refusals": reasons if override_reason else [],
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
    voice = dispatch.channel in VOICE_CHANNELS
    if not voice:
        hours = settings.DISPATCH_STATUS_LINK_MAX_AGE // 3600
        body += (
            f"\n\nReport your progress (acknowledge, en route, on scene, clear): "
            f"{links.status_url(dispatch.pk)}\nThe link works for {hours} hours."
        )
    message = Message.objects.create(
        kind=MessageKind.BRIEFING,
        incident=incident,
        dispatch=dispatch,
        recipient=dispatch.resource,
        channel=dispatch.channel,
        address=address,
        subject=f"{subject}: {incident.summary}"[:200],
        body=body,
        status=DeliveryStatus.AWAITING_CONFIRMATION if voice else DeliveryStatus.QUEUED,
    )
    if not voice:
        _enqueue(message)
    return message


def _enqueue(message: Message) -> None:
    message_id = message.pk
    transaction.on_commit(lambda: current_app.send_task(DELIVER_TASK, args=[message_id]))


def _confirm(message: Message, *, actor, at: datetime) -> None:
    message.status = DeliveryStatus.CONFIRMED
    message.confirmed_by, message.confirmed_at, message.sent_at = actor, at, at
    message.save(update_fields=["status", "confirmed_by", "confirmed_at", "sent_at"])
    events.record(
        incident=message.incident,
        kind=EventKind.BRIEFING_CONFIRMED,
        actor=actor,
        data={
            "text": f"{message.recipient.call_sign} briefed by {_label(message.channel)} at "
            f"{timezone.localtime(at):%H:%M}",
            "message_id": message.pk,
            "resource": message.recipient.call_sign,
            "channel": message.channel,
        },
    )
    # Spoken and confirmed: the resource heard it, a real response.
    incident_services.record_response(
        incident_id=message.incident_id,
        actor=actor,
        how=ResponseHow.VOICE_BRIEFING,
        dispatch_id=message.dispatch_id,
        message_id=message.pk,
        at=at,
    )


@transaction.atomic
def confirm_voice_briefing(*, message_id: int, actor, at: datetime | None = None) -> Message:
    """The dispatcher spoke the briefing by radio or phone: that confirmation is the record."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("incident", "recipient")
        .get(pk=message_id)
    )
    if message.status == DeliveryStatus.CONFIRMED:
        return message
    if message.status != DeliveryStatus.AWAITING_CONFIRMATION:
        raise InvalidTransition("Only a radio or phone briefing is confirmed by the dispatcher.")
    _confirm(message, actor=actor, at=at or timezone.now())
    _acknowledgement_clock(message.incident_id)
    return message


@transaction.atomic
def progress_dispatch(
    *, dispatch_id: int, step: str, actor=None, reason: str = "", via: str = "dispatcher"
) -> Dispatch:
    """Acknowledge, en route, on scene, clear or recall; moves the resource and incident too.

    `actor` is None when the resource reports through its status link (`via="status link"`).
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
    events.record(
        incident=incident,
        kind=(
            EventKind.RESOURCE_RECALLED
            if step == DispatchStatus.RECALLED
            else EventKind.DISPATCH_PROGRESS
        ),
        actor=actor,
        data={
            "text": f"{resource} {_step_label(step).lower()}"
            + ("" if actor else f" (reported by the resource via {via})"),
            "resource": resource.call_sign,
            "resource_id": resource.pk,
            "dispatch_id": dispatch.pk,
            "step": step,
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
        message = Message.objects.create(
            kind=MessageKind.BROADCAST,
            incident=incident,
            broadcast=sent,
            recipient=member,
            channel=channel,
            address=endpoint.address if endpoint else "",
            subject=subject,
            body=body,
            created_at=now,
            # On a voice channel the dispatcher speaks to the talk group as they press send.
            status=DeliveryStatus.CONFIRMED if voice else DeliveryStatus.QUEUED,
            confirmed_by=actor if voice else None,
            confirmed_at=now if voice else None,
        )
        if voice:
            continue
        if endpoint is None:
            message.status = DeliveryStatus.FAILED
            message.error = f"{member.call_sign} has no {_label(channel)} contact on record."
            message.save(update_fields=["status", "error"])
        else:
            _enqueue(message)
    events.record(
        incident=incident,
        kind=EventKind.BROADCAST_SENT,
        actor=actor,
        data={
            "text": f"Broadcast to {group.name} by {_label(channel)} "
            f"({len(members)} recipient{'s' if len(members) != 1 else ''})",
            "broadcast_id": sent.pk,
            "group": group.name,
            "channel": channel,
            "recipients": [m.call_sign for m in members],
        },
        rationale=body,
    )
    return sent


class TemporaryDeliveryFailure(Exception):
    """The attempt failed in a way a later attempt may not; the task retries."""


def attempt_delivery(*, message_id: int, final_attempt: bool) -> str:
    """One delivery attempt of a queued message; returns the message's status after it.

    The claim (queued/retrying → sending) is its own short transaction, so a redelivered
    task never sends twice and no row lock is held while the network is slow.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("incident", "recipient")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status not in (
            DeliveryStatus.QUEUED,
            DeliveryStatus.RETRYING,
        ):
            return message.status if message else "missing"
        message.status = DeliveryStatus.SENDING
        message.attempts += 1
        message.save(update_fields=["status", "attempts"])
    try:
        adapters.adapter_for(message.channel).send(message)
    except adapters.DeliveryFailed as failure:
        give_up = final_attempt or not failure.retryable
        _record_delivery(message_id, ok=False, error=str(failure), final=give_up)
        if give_up:
            return DeliveryStatus.FAILED
        raise TemporaryDeliveryFailure(str(failure)) from failure
    _record_delivery(message_id, ok=True, error="", final=True)
    return DeliveryStatus.SENT


@transaction.atomic
def _record_delivery(message_id: int, *, ok: bool, error: str, final: bool) -> None:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("incident", "recipient")
        .get(pk=message_id)
    )
    message.error = error
    if ok:
        message.status, message.sent_at = DeliveryStatus.SENT, timezone.now()
    else:
        message.status = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
    message.save(update_fields=["status", "error", "sent_at"])
    if not final:
        return
    # The outcome of a briefing, or a failed broadcast message, is for the dispatcher to see.
    if message.kind == MessageKind.BRIEFING or not ok:
        result = "sent" if ok else f"FAILED after {message.attempts} attempt(s)"
        events.record(
            incident=message.incident,
            kind=EventKind.MESSAGE_DELIVERY,
            data={
                "text": f"{message.get_kind_display()} to {message.recipient.call_sign} by "
                f"{_label(message.channel)}: {result}",
                "message_id": message.pk,
                "status": message.status,
                "attempts": message.attempts,
            },
            rationale=error,
        )


def retry_delay(retries: int) -> float:
    return settings.DISPATCH_DELIVERY_BACKOFF * (2**retries)


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
