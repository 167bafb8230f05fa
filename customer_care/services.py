"""Customer care services: updates to callers, resolve, close, reopen, satisfaction.

The same pattern as incidents/services.py, whose private helpers they share so the rules
live in one place: lock, check the move against TRANSITIONS, save with update_fields,
append the timeline event (published after commit). What leaves for a customer (email,
SMS) is a message in the outbox (messaging.services.enqueue), written in the same
transaction; its final outcome comes back through the message_finished hook.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from core import hooks
from core.errors import Invalid, InvalidTransition
from customer_care import notify
from customer_care.errors import SurveyLinkRefused
from customer_care.models import (
    CONFIRMED_METHODS,
    Closure,
    ClosureMethod,
    CustomerUpdate,
    Resolution,
    ResolutionCode,
    Satisfaction,
    SatisfactionLink,
    SatisfactionSource,
    UpdateChannel,
    UpdateDelivery,
)
from incidents import clock as timers
from incidents import events
from incidents.models import EventKind, Incident, Status
from incidents.services import apply_status, check_transition, lock_incident
from messaging import services as messaging
from messaging.models import DeliveryStatus, Message, MessageKind

# Channels a worker can send through (dispatch adapters), and the caller's address for each;
# the rest are recorded as said by the agent.
SEND_TO = {UpdateChannel.EMAIL: "caller_email", UpdateChannel.SMS: "caller_phone"}
ADDRESS_NAMES = {UpdateChannel.EMAIL: "email address", UpdateChannel.SMS: "phone number"}
SURVEY_SALT = "incidents.satisfaction-link"
MAX_TEXT = 2_000


# ---- Customer updates -----------------------------------------------------------------------


@dataclass(frozen=True)
class UpdatesGiven:
    updates: list[CustomerUpdate]
    # Linked callers left out: no address for the channel (reach them another way).
    skipped: list[str]


def give_customer_update(
    *,
    incident_id: int,
    actor,
    channel: str,
    message: str,
    send: bool = False,
    include_linked: bool = False,
    expected_version: int | None = None,
) -> UpdatesGiven:
    """Record an update the agent gave the caller, or send it (email or SMS) from a worker.

    With include_linked, the callers linked to this incident get the same update, each
    recorded against their own incident. A recorded update resets the next-update clock
    now; a sent one resets it when the worker has delivered it.
    """
    message = message.strip()
    errors = {}
    if channel not in UpdateChannel.values:
        errors["channel"] = ["Choose how the customer was updated."]
    elif send and channel not in SEND_TO:
        errors["channel"] = [
            "Only email or SMS can be sent from here: record what you said instead."
        ]
    if not message:
        errors["message"] = ["Write what the customer was told."]
    elif len(message) > MAX_TEXT:
        errors["message"] = [f"Keep it under {MAX_TEXT} characters."]
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        incident, children = _locked_with_children(incident_id, expected_version, include_linked)
        if not incident.is_open:
            raise InvalidTransition(f"{incident.reference} is {incident.status}: reopen it first.")
        if send and not getattr(incident, SEND_TO[channel]):
            raise Invalid(
                {
                    "channel": [
                        f"{incident.reference} has no {ADDRESS_NAMES[channel]} for the caller."
                    ]
                }
            )
        now = timezone.now()
        given, skipped = [], []
        for target in [incident, *(c for c in children if c.is_open)]:
            if send and not getattr(target, SEND_TO[channel]):
                skipped.append(target.reference)
                continue
            via = incident if target is not incident else None
            given.append(
                _give_update(
                    incident=target,
                    actor=actor,
                    channel=channel,
                    message=message,
                    send=send,
                    via_parent=via,
                    at=now,
                )
            )
    return UpdatesGiven(updates=given, skipped=skipped)


def _locked_with_children(
    incident_id: int, expected_version: int | None, include_children: bool
) -> tuple[Incident, list[Incident]]:
    """The incident (version checked) and, if asked, its linked calls, locked in id order so
    two bulk actions on the same family cannot deadlock."""
    if not include_children:
        return lock_incident(incident_id, expected_version), []
    rows = list(
        Incident.objects.select_for_update(of=("self",))
        .select_related("priority")
        .filter(Q(pk=incident_id) | Q(parent_id=incident_id))
        .order_by("pk")
    )
    # Already locked above: this reads it with its relations and checks the version.
    incident = lock_incident(incident_id, expected_version)
    return incident, [row for row in rows if row.pk != incident_id]


def _give_update(
    *, incident: Incident, actor, channel, message, send, via_parent, at
) -> CustomerUpdate:
    update = CustomerUpdate.objects.create(
        incident=incident,
        channel=channel,
        message=message,
        given_at=at,
        actor=actor,
        delivery_status=UpdateDelivery.QUEUED if send else UpdateDelivery.RECORDED,
        recipient=getattr(incident, SEND_TO[channel]) if send else "",
        via_parent=via_parent,
    )
    data = {
        "update_id": update.pk,
        "channel": channel,
        "via_parent": via_parent.reference if via_parent else None,
    }
    if send:
        data["recipient"] = update.recipient
        events.record(
            incident=incident,
            kind=EventKind.CUSTOMER_UPDATE_QUEUED,
            actor=actor,
            data=data,
            rationale=message,
        )
        subject, body = notify.customer_update_message(update)
        update.outbound = messaging.enqueue(
            kind=MessageKind.CUSTOMER_UPDATE,
            incident=incident,
            channel=channel,
            address=update.recipient,
            recipient=incident.caller_name or update.recipient,
            subject=subject,
            body=body,
            at=at,
        )
        update.save(update_fields=["outbound"])
    else:
        _customer_was_updated(incident=incident, update=update, data=data, at=at)
    return update


def _customer_was_updated(*, incident: Incident, update: CustomerUpdate, data: dict, at) -> None:
    timer = timers.reset_customer_update_timer(incident=incident, at=at)
    events.record(
        incident=incident,
        kind=EventKind.CUSTOMER_UPDATED,
        actor=update.actor,
        data={**data, "next_due_at": timer.due_at.isoformat() if timer else None},
        rationale=update.message,
    )


def on_message_finished(*, message: Message) -> None:
    """A customer update's or survey link's message reached its final state (subscribed to
    messaging's message_finished hook)."""
    if message.kind == MessageKind.CUSTOMER_UPDATE:
        update = CustomerUpdate.objects.filter(outbound=message).first()
        if update is None:
            return
        if message.status == DeliveryStatus.SENT:
            mark_update_sent(update_id=update.pk)
        else:
            mark_update_failed(update_id=update.pk)
    elif message.kind == MessageKind.SATISFACTION_LINK and message.status == DeliveryStatus.SENT:
        link = SatisfactionLink.objects.filter(outbound=message).first()
        if link is not None:
            mark_survey_sent(link_id=link.pk)
    # A survey link that could not be sent: no survey for this customer; the resolution
    # stands (the message shows the failure).


@transaction.atomic
def mark_update_sent(*, update_id: int) -> CustomerUpdate | None:
    """The update's message was delivered: the customer is updated as of now."""
    update = CustomerUpdate.objects.filter(pk=update_id).first()
    if update is None:
        return None
    incident = lock_incident(update.incident_id, None)
    update = CustomerUpdate.objects.select_for_update(of=("self",)).get(pk=update_id)
    if update.delivery_status != UpdateDelivery.QUEUED:
        return update  # already done
    now = timezone.now()
    update.delivery_status = UpdateDelivery.SENT
    update.save(update_fields=["delivery_status"])
    data = {
        "update_id": update.pk,
        "channel": update.channel,
        "recipient": update.recipient,
        "via_parent": update.via_parent.reference if update.via_parent else None,
    }
    _customer_was_updated(incident=incident, update=update, data=data, at=now)
    return update


@transaction.atomic
def mark_update_failed(*, update_id: int) -> None:
    """The update's message failed for good: the failure goes on the timeline, and the
    update clock keeps running (the customer was not updated)."""
    update = CustomerUpdate.objects.filter(pk=update_id).first()
    if update is None:
        return
    incident = lock_incident(update.incident_id, None)
    update = (
        CustomerUpdate.objects.select_for_update(of=("self",))
        .select_related("outbound")
        .get(pk=update_id)
    )
    if update.delivery_status != UpdateDelivery.QUEUED:
        return
    update.delivery_status = UpdateDelivery.FAILED
    update.save(update_fields=["delivery_status"])
    events.record(
        incident=incident,
        kind=EventKind.CUSTOMER_UPDATE_FAILED,
        actor=None,
        data={
            "update_id": update.pk,
            "channel": update.channel,
            "recipient": update.recipient,
            "attempts": update.attempts,
        },
        rationale=update.error,
    )


# ---- Resolve, close, reopen -----------------------------------------------------------------


@transaction.atomic
def resolve(
    *, incident_id: int, actor, code: str, notes: str, expected_version: int | None = None
) -> Incident:
    """The fix is in: record how (code) and what was done (notes); stops the SLA clocks.

    If the caller gave an email address, a satisfaction survey link goes to them.
    """
    notes = notes.strip()
    errors = {}
    if code not in ResolutionCode.values:
        errors["code"] = ["Choose a resolution code."]
    if not notes:
        errors["notes"] = ["Write the resolution notes: what was done and what the caller heard."]
    elif len(notes) > MAX_TEXT:
        errors["notes"] = [f"Keep the notes under {MAX_TEXT} characters."]
    if errors:
        raise Invalid(errors)
    incident = lock_incident(incident_id, expected_version)
    _resolve_locked(incident=incident, actor=actor, code=code, notes=notes, via_parent=None)
    return incident


def _resolve_locked(*, incident: Incident, actor, code: str, notes: str, via_parent) -> None:
    check_transition(incident, Status.RESOLVED, actor=actor, service="resolve")
    now = timezone.now()
    from_status = incident.status
    apply_status(incident, Status.RESOLVED, at=now)
    resolution = Resolution.objects.create(
        incident=incident, code=code, notes=notes, resolved_at=now, resolved_by=actor
    )
    events.record(
        incident=incident,
        kind=EventKind.RESOLVED,
        actor=actor,
        data={
            "from": from_status,
            "code": resolution.code,
            "via_parent": via_parent.reference if via_parent else None,
        },
        rationale=notes,
    )
    hooks.emit("incident_settled", incident=incident, actor=actor, at=now)
    _revoke_survey_links(incident=incident, at=now)
    if incident.caller_email:
        link = SatisfactionLink.objects.create(
            incident=incident,
            created_at=now,
            expires_at=now + timedelta(days=settings.SATISFACTION_LINK_DAYS),
            sent_to=incident.caller_email,
        )
        subject, body = notify.survey_message(link, survey_token(link))
        link.outbound = messaging.enqueue(
            kind=MessageKind.SATISFACTION_LINK,
            incident=incident,
            channel=UpdateChannel.EMAIL,
            address=link.sent_to,
            recipient=incident.caller_name or link.sent_to,
            subject=subject,
            body=body,
            at=now,
        )
        link.save(update_fields=["outbound"])


def close(
    *,
    incident_id: int,
    actor,
    method: str,
    confirmed_by: str,
    confirmed_at: datetime | None = None,
    include_linked: bool = False,
    expected_version: int | None = None,
) -> Incident:
    """The customer confirmed the fix: close it. With include_linked, the calls linked to it
    are resolved (with this resolution) and closed too, each on its own timeline."""
    confirmed_by = confirmed_by.strip()
    now = timezone.now()
    confirmed_at = confirmed_at or now
    errors = {}
    if method not in CONFIRMED_METHODS:
        errors["method"] = ["Say how the customer confirmed the fix."]
    if not confirmed_by:
        errors["confirmed_by"] = ["Name the person who confirmed the fix."]
    elif len(confirmed_by) > Closure._meta.get_field("confirmed_by").max_length:
        errors["confirmed_by"] = ["That name is too long."]
    if confirmed_at > now + timedelta(minutes=5):
        errors["confirmed_at"] = ["The confirmation cannot be in the future."]
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        incident, children = _locked_with_children(incident_id, expected_version, include_linked)
        check_transition(incident, Status.CLOSED, actor=actor, service="close")
        resolution = incident.resolutions.order_by("-resolved_at", "-id").first()
        if resolution and confirmed_at < resolution.resolved_at:
            raise Invalid(
                {"confirmed_at": ["The customer cannot confirm a fix before it was resolved."]}
            )
        _close_locked(
            incident=incident,
            actor=actor,
            method=method,
            confirmed_by=confirmed_by,
            confirmed_at=confirmed_at,
            via_parent=None,
        )
        for child in children:
            if child.can_resolve and resolution:
                _resolve_locked(
                    incident=child,
                    actor=actor,
                    code=resolution.code,
                    notes=f"Resolved with {incident.reference}: {resolution.notes}",
                    via_parent=incident,
                )
            if child.can_close:
                _close_locked(
                    incident=child,
                    actor=actor,
                    method=ClosureMethod.WITH_PARENT,
                    confirmed_by="",
                    confirmed_at=None,
                    via_parent=incident,
                )
    return incident


def _close_locked(
    *, incident: Incident, actor, method, confirmed_by, confirmed_at, via_parent
) -> None:
    check_transition(incident, Status.CLOSED, actor=actor, service="close")
    now = timezone.now()
    from_status = incident.status
    apply_status(incident, Status.CLOSED, at=now)
    closure = Closure.objects.create(
        incident=incident,
        method=method,
        confirmed_by=confirmed_by,
        confirmed_at=confirmed_at,
        closed_at=now,
        closed_by=actor,
    )
    if method == ClosureMethod.NO_ANSWER:
        events.record(
            incident=incident,
            kind=EventKind.CLOSED_WITHOUT_CONFIRMATION,
            actor=actor,
            data={"from": from_status},
        )
        return
    events.record(
        incident=incident,
        kind=EventKind.CLOSED,
        actor=actor,
        data={
            "from": from_status,
            "method": closure.method,
            "confirmed_by": confirmed_by,
            "confirmed_at": confirmed_at.isoformat() if confirmed_at else None,
            "via_parent": via_parent.reference if via_parent else None,
        },
    )
    hooks.emit("incident_settled", incident=incident, actor=actor, at=now)


def close_unconfirmed(*, now: datetime | None = None) -> list[str]:
    """Close what stayed resolved with no answer from the customer for the configured wait,
    recorded as closed without confirmation. One transaction per incident, so one refusal
    never holds back the rest; returns the references closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CLOSE_WITHOUT_CONFIRMATION_AFTER_DAYS)
    candidates = (
        Incident.objects.filter(status=Status.RESOLVED)
        .annotate(last_resolved=Max("resolutions__resolved_at"))
        .filter(last_resolved__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = []
    for pk in candidates:
        with transaction.atomic():
            incident = lock_incident(pk, None)
            latest = incident.resolutions.order_by("-resolved_at", "-id").first()
            # Reopened or resolved again since the query: not due any more.
            if incident.status != Status.RESOLVED or latest.resolved_at > cutoff:
                continue
            _close_locked(
                incident=incident,
                actor=None,
                method=ClosureMethod.NO_ANSWER,
                confirmed_by="",
                confirmed_at=None,
                via_parent=None,
            )
            closed.append(incident.reference)
    return closed


@transaction.atomic
def reopen(
    *, incident_id: int, actor, reason: str, expected_version: int | None = None
) -> Incident:
    """The fix did not hold (or the customer says so): back to work, with a reason.

    The resolution clock resumes from where it stopped, the customer-update clock starts a
    new interval (incidents/clock.reopen_timers says why).
    """
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": ["Say why it is reopened."]})
    incident = lock_incident(incident_id, expected_version)
    check_transition(incident, Status.REOPENED, actor=actor, reason=reason, service="reopen")
    now = timezone.now()
    from_status = incident.status
    apply_status(incident, Status.REOPENED, at=now)
    _revoke_survey_links(incident=incident, at=now)
    events.record(
        incident=incident,
        kind=EventKind.REOPENED,
        actor=actor,
        data={"from": from_status},
        rationale=reason,
    )
    hooks.emit("incident_reopened", incident=incident, actor=actor, at=now, reason=reason)
    return incident


# ---- Satisfaction ---------------------------------------------------------------------------


def _check_satisfaction(score, comment: str) -> str:
    comment = comment.strip()
    errors = {}
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        errors["score"] = ["Choose a score from 1 (very unhappy) to 5 (very happy)."]
    if len(comment) > MAX_TEXT:
        errors["comment"] = [f"Keep the comment under {MAX_TEXT} characters."]
    if errors:
        raise Invalid(errors)
    return comment


def _record_satisfaction(*, incident: Incident, actor, score: int, comment: str, source: str):
    if incident.status not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(
            f"{incident.reference} is {incident.status}: ask about satisfaction once resolved."
        )
    answer = Satisfaction.objects.create(
        incident=incident, score=score, comment=comment, source=source, recorded_by=actor
    )
    events.record(
        incident=incident,
        kind=EventKind.SATISFACTION_RECORDED,
        actor=actor,
        data={"score": score, "source": answer.source},
        rationale=comment,
    )
    return answer


@transaction.atomic
def record_satisfaction(*, incident_id: int, actor, score: int, comment: str = "") -> Satisfaction:
    """The customer gave a score on a call; the agent records it."""
    comment = _check_satisfaction(score, comment)
    incident = lock_incident(incident_id, None)
    return _record_satisfaction(
        incident=incident,
        actor=actor,
        score=score,
        comment=comment,
        source=SatisfactionSource.AGENT,
    )


def _revoke_survey_links(*, incident: Incident, at) -> None:
    """A survey asks about one resolution: reopening (or resolving again) ends the links
    still open, so an old email cannot answer for the next fix."""
    SatisfactionLink.objects.filter(
        incident=incident, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=at)


def survey_token(link: SatisfactionLink) -> str:
    return signing.dumps({"link": link.pk}, salt=SURVEY_SALT)


def survey_link(token: str) -> SatisfactionLink:
    """The link a token names, if it is genuine, unexpired and unused; else SurveyLinkRefused
    with a message the customer can read."""
    max_age = timedelta(days=settings.SATISFACTION_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=SURVEY_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise SurveyLinkRefused(EXPIRED) from None
    except signing.BadSignature:
        raise SurveyLinkRefused(TAMPERED) from None
    link = (
        SatisfactionLink.objects.select_related("incident")
        .filter(pk=payload.get("link") if isinstance(payload, dict) else None)
        .first()
    )
    if link is None:
        raise SurveyLinkRefused(TAMPERED)
    if link.used_at is not None:
        raise SurveyLinkRefused(USED)
    if link.revoked_at is not None:
        raise SurveyLinkRefused(REVOKED)
    if link.expires_at <= timezone.now():
        raise SurveyLinkRefused(EXPIRED)
    return link


TAMPERED = "This link is not valid. Please use the link exactly as it appears in our email."
EXPIRED = "This link has expired. Thank you all the same: you can call us to give feedback."
USED = "Thank you, we already have your answer: each link can be used once."
REVOKED = (
    "This survey is closed: we reopened your case to work on it again. We will send a new "
    "link when it is resolved."
)


@transaction.atomic
def satisfaction_from_link(*, token: str, score: int, comment: str = "") -> Satisfaction:
    """The customer answered the emailed survey; the link is spent."""
    comment = _check_satisfaction(score, comment)
    link = survey_link(token)
    incident = lock_incident(link.incident_id, None)
    link = SatisfactionLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:  # a second submit that raced the first
        raise SurveyLinkRefused(USED)
    if link.revoked_at is not None:  # reopened while the customer was answering
        raise SurveyLinkRefused(REVOKED)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return _record_satisfaction(
        incident=incident, actor=None, score=score, comment=comment, source=SatisfactionSource.LINK
    )


@transaction.atomic
def mark_survey_sent(*, link_id: int) -> None:
    link = SatisfactionLink.objects.filter(pk=link_id, sent_at__isnull=True).first()
    if link is None:
        return
    incident = lock_incident(link.incident_id, None)
    link = SatisfactionLink.objects.select_for_update().get(pk=link_id)
    if link.sent_at is not None:
        return
    link.sent_at = timezone.now()
    link.save(update_fields=["sent_at"])
    events.record(
        incident=incident,
        kind=EventKind.SATISFACTION_LINK_SENT,
        data={"recipient": link.sent_to, "expires_at": link.expires_at.isoformat()},
    )
