"""Every write about outbound messages: write one, deliver it, sweep the outbox.

The outbox rule: `enqueue` writes the message in the caller's transaction and, after
commit, asks a worker to send it. The broker is only a nudge. If it is down, the message
is still in the database, and `sweep` (Celery beat, every MESSAGE_SWEEP_SECONDS) hands it
to a worker once the broker is back. Retries are scheduled the same way: a failed attempt
sets next_attempt_at and the sweep hands the message out when it is due (never Celery's
countdown, which Redis holds in worker memory and redelivers after its visibility timeout).

Delivery is at least once. A worker claims a message (attempts + 1, `sending`, a lease
until next_attempt_at) in a short transaction and sends it outside any transaction. If
the worker dies mid-send nobody knows whether the message left: once the lease runs out
the sweep records that attempt with an unknown outcome and hands the message out again,
so a recipient may, rarely, get it twice (webhook and gateway payloads carry message_id
for receivers to drop the duplicate). Never sending is the worse failure for a briefing.
"""

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import hooks
from core.errors import InvalidTransition
from core.idempotency import DELIVERY_QUEUED, note_pending
from messaging import adapters
from messaging.models import CLAIMABLE, DeliveryAttempt, DeliveryStatus, Message
from messaging.rendering import header_line

logger = logging.getLogger(__name__)

DELIVER_TASK = "messaging.deliver"
SWEEP_BATCH = 200
LOST_WORKER = (
    "No outcome recorded: the worker was lost mid-send (killed, or over its time limit); "
    "the message may have been delivered."
)


# ---- Writing messages ------------------------------------------------------------------


def _new(*, status: str, subject: str, **fields) -> Message:
    return Message.objects.create(status=status, subject=header_line(subject), **fields)


def enqueue(
    *,
    kind: str,
    channel: str,
    address: str,
    body: str,
    subject: str = "",
    recipient: str = "",
    incident=None,
    signing_secret: str = "",
    at: datetime | None = None,
) -> Message:
    """Write a message to send, in the caller's transaction, and nudge a worker after commit.

    The subject is folded to one header-safe line here, so no user text can stop a message.
    """
    now = at or timezone.now()
    message = _new(
        status=DeliveryStatus.QUEUED,
        kind=kind,
        channel=channel,
        address=address,
        recipient=recipient,
        subject=subject,
        body=body,
        incident=incident,
        signing_secret=signing_secret,
        created_at=now,
        next_attempt_at=now,
        handed_out_at=now,
    )
    message_id = message.pk
    # robust: the write already succeeded; a broker error must not reach the request.
    transaction.on_commit(lambda: _hand_out([message_id]), robust=True)
    note_pending(DELIVERY_QUEUED)
    return message


def record_spoken(
    *,
    kind: str,
    channel: str,
    address: str,
    body: str,
    subject: str = "",
    recipient: str = "",
    incident=None,
    confirmed_by=None,
    at: datetime | None = None,
) -> Message:
    """A radio or phone message: nothing is sent. Confirmed at once when the dispatcher
    speaks it as they press send (confirmed_by), else awaiting their confirmation."""
    now = at or timezone.now()
    confirmed = confirmed_by is not None
    return _new(
        status=DeliveryStatus.CONFIRMED if confirmed else DeliveryStatus.AWAITING_CONFIRMATION,
        kind=kind,
        channel=channel,
        address=address,
        recipient=recipient,
        subject=subject,
        body=body,
        incident=incident,
        created_at=now,
        confirmed_by=confirmed_by,
        confirmed_at=now if confirmed else None,
        sent_at=now if confirmed else None,
    )


def record_undeliverable(
    *,
    kind: str,
    channel: str,
    body: str,
    error: str,
    subject: str = "",
    recipient: str = "",
    incident=None,
    at: datetime | None = None,
) -> Message:
    """A message that cannot be sent at all (no address on record): failed, with why."""
    return _new(
        status=DeliveryStatus.FAILED,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        incident=incident,
        created_at=at or timezone.now(),
        last_error=error,
    )


@transaction.atomic
def confirm_spoken(*, message_id: int, actor, at: datetime | None = None) -> tuple[Message, bool]:
    """The dispatcher spoke the message by radio or phone. Returns (message, changed);
    confirming twice is a no-op."""
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.status == DeliveryStatus.CONFIRMED:
        return message, False
    if message.status != DeliveryStatus.AWAITING_CONFIRMATION:
        raise InvalidTransition("Only a radio or phone briefing is confirmed by the dispatcher.")
    at = at or timezone.now()
    message.status = DeliveryStatus.CONFIRMED
    message.confirmed_by, message.confirmed_at, message.sent_at = actor, at, at
    message.save(update_fields=["status", "confirmed_by", "confirmed_at", "sent_at"])
    return message, True


# ---- Handing out ------------------------------------------------------------------------


def _hand_out(message_ids: list[int]) -> None:
    """Ask a worker to deliver each message. A broker error is logged, never raised: the
    message is in the outbox, and the sweep hands it out again once the broker is back."""
    for position, message_id in enumerate(message_ids):
        try:
            current_app.send_task(DELIVER_TASK, args=[message_id])
        except Exception:
            logger.warning(
                "Broker unreachable: %d message(s) wait in the outbox for the sweep",
                len(message_ids) - position,
                exc_info=True,
            )
            # Due again at once for the next sweep, not after the hand-out lease.
            Message.objects.filter(pk__in=message_ids[position:], status__in=CLAIMABLE).update(
                handed_out_at=None
            )
            return


def sweep(*, now: datetime | None = None) -> int:
    """Hand every due message to a worker; recover messages a lost worker left `sending`.

    Due: queued or retrying with next_attempt_at reached, and not handed out in the last
    MESSAGE_HANDOUT_SECONDS (a task already on its way is given time to arrive). Rows are
    claimed with SELECT … FOR UPDATE SKIP LOCKED and stamped before commit, so two sweeps
    at once never hand out the same message. Returns how many were handed out.
    """
    now = now or timezone.now()
    handout_lease = timedelta(seconds=settings.MESSAGE_HANDOUT_SECONDS)
    due = Q(status__in=CLAIMABLE, next_attempt_at__lte=now) & (
        Q(handed_out_at__isnull=True) | Q(handed_out_at__lte=now - handout_lease)
    )
    lost = Q(status=DeliveryStatus.SENDING, next_attempt_at__lte=now)
    with transaction.atomic():
        rows = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(due | lost)
            .order_by("next_attempt_at")[:SWEEP_BATCH]
        )
        handed = []
        for message in rows:
            if message.status == DeliveryStatus.SENDING:
                _recover_lost(message, now=now)
            if message.status in CLAIMABLE:
                handed.append(message.pk)
        Message.objects.filter(pk__in=handed).update(handed_out_at=now)
    _hand_out(handed)
    return len(handed)


def _recover_lost(message: Message, *, now: datetime) -> None:
    """The lease ran out with no outcome: the attempt is recorded as unknown, and the
    message is retried (or, past the bound, failed) like any failed attempt."""
    DeliveryAttempt.objects.filter(
        message=message, number=message.attempts, finished_at__isnull=True
    ).update(finished_at=now, ok=None, error=LOST_WORKER)
    _failed(message, error=LOST_WORKER, retryable=True, now=now, immediately=True)


# ---- Delivering -------------------------------------------------------------------------


def deliver(message_id: int, *, now: datetime | None = None) -> str:
    """One attempt at a due message; returns its status after it.

    Claim (short transaction), send through the channel's adapter outside any transaction,
    record the attempt and the outcome (another short transaction). A task for a message
    that is not due (already sent, claimed by another worker, waiting for its retry) does
    nothing, so duplicate hand-outs and redelivered tasks are harmless.
    """
    message = _claim(message_id, now=now or timezone.now())
    if message is None or message.status != DeliveryStatus.SENDING:
        return message.status if message else "missing"
    number = message.attempts
    try:
        adapters.adapter_for(message.channel).send(message)
    except adapters.DeliveryFailed as failure:
        return _record(message_id, number, error=str(failure), retryable=failure.retryable)
    except Exception as error:  # an adapter's bug must not leave the message `sending`
        logger.exception("Message %s: the %s adapter raised", message_id, message.channel)
        return _record(message_id, number, error=f"{type(error).__name__}: {error}", retryable=True)
    return _record(message_id, number, error=None, retryable=False)


@transaction.atomic
def _claim(message_id: int, *, now: datetime) -> Message | None:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return None
    not_yet = message.next_attempt_at is not None and message.next_attempt_at > now
    if message.status not in CLAIMABLE or not_yet:
        return message
    message.status = DeliveryStatus.SENDING
    message.attempts += 1
    message.next_attempt_at = now + timedelta(seconds=settings.MESSAGE_SENDING_LEASE_SECONDS)
    message.handed_out_at = None
    message.save(update_fields=["status", "attempts", "next_attempt_at", "handed_out_at"])
    DeliveryAttempt.objects.create(message=message, number=message.attempts, started_at=now)
    return message


@transaction.atomic
def _record(message_id: int, number: int, *, error: str | None, retryable: bool) -> str:
    """Record attempt `number`; error None means the adapter accepted the message."""
    now = timezone.now()
    ok = error is None
    DeliveryAttempt.objects.filter(message_id=message_id, number=number).update(
        finished_at=now, ok=ok, error=error or ""
    )
    message = Message.objects.select_for_update().get(pk=message_id)
    ours = message.status == DeliveryStatus.SENDING and message.attempts == number
    # Our lease ran out and the sweep re-queued the message; if it did leave, say so now.
    late_but_sent = ok and message.status in CLAIMABLE
    if not (ours or late_but_sent):
        return message.status
    if ok:
        message.status, message.sent_at, message.last_error = DeliveryStatus.SENT, now, ""
        message.next_attempt_at = None
        message.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at"])
        hooks.emit("message_finished", message=message)
    else:
        _failed(message, error=error, retryable=retryable, now=now)
    return message.status


def _failed(
    message: Message, *, error: str, retryable: bool, now: datetime, immediately: bool = False
) -> None:
    """One bounded retry policy for every message: MESSAGE_DELIVERY_MAX_RETRIES retries,
    retry n waiting MESSAGE_DELIVERY_BACKOFF × 2**(n-1) seconds; then failed for good."""
    message.last_error = error
    if retryable and message.attempts <= settings.MESSAGE_DELIVERY_MAX_RETRIES:
        message.status = DeliveryStatus.RETRYING
        message.next_attempt_at = now if immediately else now + retry_delay(message.attempts)
    else:
        message.status = DeliveryStatus.FAILED
        message.next_attempt_at = None
    message.save(update_fields=["status", "last_error", "next_attempt_at"])
    if message.status == DeliveryStatus.FAILED:
        hooks.emit("message_finished", message=message)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return timedelta(seconds=settings.MESSAGE_DELIVERY_BACKOFF * 2 ** (attempts - 1))
