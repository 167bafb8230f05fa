"""Writes to SLA timers and escalations.

The timer functions are called by the incident services inside their transaction (the
incident row is locked already) and keep the escalation due work in step with the clocks.
The escalation services lock the incident themselves, like every incident service.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.errors import Invalid, InvalidTransition
from escalation import notify, selectors
from escalation.errors import NothingToAcknowledge
from escalation.models import (
    MANUAL_STEP_ID,
    MINUTES_TRIGGERS,
    PERCENT_TRIGGERS,
    TIMER_TRIGGERS,
    Action,
    Escalation,
    EscalationDue,
    EscalationEvent,
    EscalationPolicy,
    Level,
    Trigger,
)
from escalation.snapshot import PolicySnapshot, StepSnapshot
from incidents import events
from incidents import services as incident_services
from incidents.lifecycle import ResponseHow
from incidents.models import EventKind, Incident, RecordType, SlaTimer, Status, TimerKind

logger = logging.getLogger(__name__)


# --- Entering a policy and scheduling its timer steps ---


def matching_policy(incident: Incident) -> EscalationPolicy | None:
    """The active policy for the incident's priority and category (lowest rank wins)."""
    return (
        EscalationPolicy.objects.filter(active=True)
        .filter(Q(priorities__isnull=True) | Q(priorities=incident.priority_id))
        .filter(Q(categories__isnull=True) | Q(categories=incident.category_id))
        .order_by("rank", "pk")
        .distinct()
        .first()
    )


def policy_snapshot(policy: EscalationPolicy | None, *, at: datetime) -> dict:
    """The policy as JSON for Escalation.snapshot, written through the typed snapshot."""
    if policy is None:
        return {}
    steps = policy.steps.select_related("notify_group").order_by("order", "pk")
    return PolicySnapshot(
        policy_id=policy.pk,
        policy_name=policy.name,
        taken_at=at,
        steps=tuple(step.snapshot() for step in steps),
    ).to_dict()


def enter_policy(*, incident: Incident, at: datetime) -> Escalation | None:
    """At log time: snapshot the matching policy, schedule its timer steps, fire "P1 logged"."""
    if incident.record_type != RecordType.INCIDENT:
        return None
    policy = matching_policy(incident)
    escalation = Escalation.objects.create(
        incident=incident, policy=policy, snapshot=policy_snapshot(policy, at=at), entered_at=at
    )
    # Nothing has fired or been scheduled for an incident logged in this transaction.
    _schedule(incident=incident, escalation=escalation, fresh=True)
    # A call logged as linked is one more caller about its parent's event: the parent's
    # "P1 logged" already raised the alarm.
    if incident.priority.rank == 1 and incident.parent_id is None:
        fire_event_trigger(incident=incident, trigger=Trigger.P1_LOGGED, at=at)
    return escalation


def step_due_at(step: StepSnapshot, timer: SlaTimer) -> datetime:
    """When a timer step fires: its share of the target, plus the time spent on hold."""
    if step.trigger in PERCENT_TRIGGERS:
        offset = timer.target * (step.percent or 100) / 100
    elif step.trigger in MINUTES_TRIGGERS:
        offset = timedelta(minutes=step.minutes or 0)
    else:
        offset = timer.target
    return timer.started_at + timer.paused_total + offset


def clock_of(step: StepSnapshot, timers: dict[str, SlaTimer]) -> SlaTimer | None:
    """The timer a timer step runs on; None when it has none (the step cannot fire)."""
    if step.trigger == Trigger.NO_DISPATCH and TimerKind.ACKNOWLEDGEMENT in timers:
        return None  # someone was sent: the acknowledgement clock watches them now
    return timers.get(TIMER_TRIGGERS[step.trigger])


# Each period of these timers is a new deadline, so their steps fire once per period: a
# recorded customer update restarts the update clock, a new unanswered dispatch restarts
# the acknowledgement clock.
REPEATING_TRIGGERS = frozenset({Trigger.UPDATE_OVERDUE, Trigger.DISPATCH_UNACKNOWLEDGED})


def schedule_steps(*, incident: Incident) -> None:
    """Rewrite the due work of the timer steps from the clocks as they are now.

    A paused or met timer, or one a linked call follows its parent on, has no due work; a
    step that already fired is not scheduled again. Repeats waiting for an acknowledgement
    (attempt > 0) are left alone.
    """
    escalation = Escalation.objects.filter(incident=incident).first()
    if escalation is None:
        return
    _schedule(incident=incident, escalation=escalation, fresh=False)


def _schedule(*, incident: Incident, escalation: Escalation, fresh: bool) -> None:
    """schedule_steps for a known escalation. `fresh`: entered in this transaction, so no
    step has fired or been scheduled yet (nothing to delete, read back or number past)."""
    if not fresh:
        EscalationDue.objects.filter(incident=incident, attempt=0).delete()
    timer_steps = [s for s in escalation.steps() if s.trigger in TIMER_TRIGGERS]
    if not timer_steps:
        return
    step_ids = [s.id for s in timer_steps]
    firings = (
        []
        if fresh
        else list(
            EscalationEvent.objects.filter(incident=incident, step_id__in=step_ids).values_list(
                "step_id", "fired_at"
            )
        )
    )
    timers = {t.kind: t for t in SlaTimer.objects.filter(incident=incident)}
    due = []
    for step in timer_steps:
        timer = clock_of(step, timers)
        if timer is None or not timer.running:
            continue
        fired_at = [at for step_id, at in firings if step_id == step.id]
        if step.trigger in REPEATING_TRIGGERS:
            fired_at = [at for at in fired_at if at >= timer.started_at]
        if fired_at:
            continue
        due.append(step)
    if not due:
        return
    used = {} if fresh else _last_repetitions(incident, [step.id for step in due])
    EscalationDue.objects.bulk_create(
        EscalationDue(
            incident=incident,
            step_id=step.id,
            repetition=used.get(step.id, -1) + 1,
            due_at=step_due_at(step, clock_of(step, timers)),
        )
        for step in due
    )


def _last_repetitions(incident: Incident, step_ids: list[int]) -> dict[int, int]:
    """The highest firing number used by each step (fired or waiting), in two queries."""
    used: dict[int, int] = {}
    for model in (EscalationEvent, EscalationDue):
        for step_id, highest in (
            model.objects.filter(incident=incident, step_id__in=step_ids)
            .values("step_id")
            .annotate(m=Max("repetition"))
            .values_list("step_id", "m")
        ):
            used[step_id] = max(used.get(step_id, -1), highest)
    return used


def _next_repetition(incident: Incident, step_id: int) -> int:
    """The next unused firing number of a step (fired or waiting), so a new occurrence, a
    repeat and a new interval never share one; the incident is locked by the caller."""
    return _last_repetitions(incident, [step_id]).get(step_id, -1) + 1


# --- Firing ---


def on_reopened(*, incident: Incident, actor, at: datetime, reason: str) -> None:
    fire_event_trigger(
        incident=incident, trigger=Trigger.REOPENED, at=at, actor=actor, reason=reason
    )


def fire_event_trigger(
    *, incident: Incident, trigger: str, at: datetime, actor=None, reason: str = ""
) -> list[EscalationEvent]:
    """Fire the steps of the incident's policy that this event triggers (P1, reopened, manual)."""
    escalation = Escalation.objects.filter(incident=incident).first()
    if escalation is None:
        return []
    fired = []
    for step in escalation.plan.with_trigger(trigger):
        # Each occurrence (a second reopening…) is a new firing of the step.
        repetition = _next_repetition(incident, step.id)
        event = _fire(
            incident=incident,
            escalation=escalation,
            step=step,
            repetition=repetition,
            attempt=0,
            due_at=at,
            at=at,
            actor=actor,
            reason=reason,
        )
        if event is not None:
            fired.append(event)
    return fired


def _fire(
    *,
    incident: Incident,
    escalation: Escalation,
    step: StepSnapshot,
    repetition: int,
    attempt: int,
    due_at: datetime | None,
    at: datetime,
    actor=None,
    reason: str = "",
    repeat_of: EscalationEvent | None = None,
) -> EscalationEvent | None:
    """One firing: the escalation event (unique per incident, step and repetition), the
    step's action, the notification and the timeline row. None if it had fired already."""
    if attempt == 0:
        action = step.action
        recipients = step.recipients
    elif attempt <= step.max_repeats:
        action = Action.NOTIFY
        recipients = step.recipients
    else:
        # Nobody acknowledged after every repeat: the next rung of the hierarchy hears of it.
        action = Action.RAISE_LEVEL
        recipients = {"group": Level(min(escalation.level + 1, Level.HEAD_OF_OPERATIONS)).label}
    try:
        with transaction.atomic():
            event = EscalationEvent.objects.create(
                incident=incident,
                step_id=step.id,
                repetition=repetition,
                step_name=step.name,
                trigger=step.trigger,
                action=action,
                channel=step.channel,
                recipients=recipients,
                level=escalation.level,
                due_at=due_at,
                fired_at=at,
                actor=actor,
                reason=reason,
                requires_ack=step.requires_ack,
                awaiting_ack=step.requires_ack,
            )
    except IntegrityError:
        # Already fired (a redelivered task, a retry, a second worker): exactly once.
        return None
    _replace_on_the_list(incident=incident, step=step, event=event, repeat_of=repeat_of)
    _apply(action=action, step=step, incident=incident, escalation=escalation, event=event)
    if step.requires_ack:
        _schedule_repeat(
            step=step, incident=incident, escalation=escalation, event=event, attempt=attempt
        )
    _record_firing(incident=incident, event=event, escalation=escalation, attempt=attempt)
    notify.notify(event=event)
    return event


def _replace_on_the_list(*, incident, step: StepSnapshot, event, repeat_of) -> None:
    """A repeat replaces the firing it repeats on the unacknowledged list; a new firing of a
    policy step replaces that step's earlier one. Manual escalations each keep their own."""
    earlier = EscalationEvent.objects.filter(incident=incident, awaiting_ack=True).exclude(
        pk=event.pk
    )
    if repeat_of is not None:
        earlier = earlier.filter(pk=repeat_of.pk)
    elif step.id == MANUAL_STEP_ID:
        return
    else:
        earlier = earlier.filter(step_id=step.id)
    earlier.update(awaiting_ack=False)


def _apply(*, action: str, step: StepSnapshot, incident: Incident, escalation: Escalation, event):
    if action == Action.RAISE_LEVEL and escalation.level < Level.HEAD_OF_OPERATIONS:
        escalation.level += 1
        escalation.save(update_fields=["level"])
    elif action == Action.SPECIALIST:
        escalation.team = step.team
        escalation.save(update_fields=["team"])
    elif action == Action.RAISE_PRIORITY:
        incident_services.raise_priority(
            incident_id=incident.pk,
            actor=None,
            reason=f"Escalation step “{step.name}” raised the priority.",
        )
        incident.refresh_from_db(fields=["priority", "version"])
    if event.level != escalation.level:
        event.level = escalation.level
        event.save(update_fields=["level"])


def _schedule_repeat(*, step: StepSnapshot, incident, escalation, event, attempt: int) -> None:
    """Needs acknowledgement: repeat after the timeout, then move up, until the top."""
    last_rung = attempt > step.max_repeats and escalation.level >= Level.HEAD_OF_OPERATIONS
    if last_rung:
        return
    # After moving up a level the repeats start again at the new level.
    next_attempt = 1 if attempt > step.max_repeats else attempt + 1
    EscalationDue.objects.create(
        incident=incident,
        step_id=step.id,
        repetition=_next_repetition(incident, step.id),
        attempt=next_attempt,
        due_at=event.fired_at + step.ack_timeout,
        repeat_of=event,
    )


def _record_firing(*, incident, event, escalation, attempt: int) -> None:
    events.record(
        incident=incident,
        kind=EventKind.ESCALATION_FIRED,
        actor=event.actor,
        data={
            "escalation_event_id": event.pk,
            "step_id": event.step_id,
            "step": event.step_name,
            "trigger": event.trigger,
            "action": event.action,
            "repetition": event.repetition,
            "attempt": attempt,
            "level": event.level,
            "team": escalation.team or None,
            "needs_ack": event.awaiting_ack,
            # A move up after unanswered repeats tells the next level's group, named as it.
            **(
                {"notify_level": event.level}
                if "user_id" not in event.recipients
                else {
                    "notify_group": event.recipients["group"],
                    "notify_user_id": event.recipients["user_id"],
                }
            ),
            "due_at": event.due_at.isoformat() if event.due_at else None,
        },
        rationale=event.reason,
    )


# --- The sweep ---

SETTLED = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})

# A sweep stops after this long so the next beat tick starts fresh (and time limits hold).
SWEEP_MAX_SECONDS = 20


def sweep(*, now: datetime | None = None) -> int:
    """Fire every step that is due; returns how many fired. Safe to run concurrently.

    One due row per transaction: claimed with SELECT … FOR UPDATE SKIP LOCKED (a plain
    SELECT on SQLite), the incident locked without waiting, the firing written, the row
    deleted, then commit. A crash before the commit leaves the row for the next sweep; the
    unique constraint on the escalation event makes any second firing a no-op.
    """
    horizon = now or timezone.now()
    # Nothing due (the common case): one indexed read, no transaction, no write lock on SQLite.
    if not EscalationDue.objects.filter(due_at__lte=horizon).exists():
        return 0
    skipped: set[int] = set()
    fired = 0
    started = time.monotonic()
    while time.monotonic() - started < SWEEP_MAX_SECONDS:
        due = None
        try:
            with transaction.atomic():
                due = (
                    EscalationDue.objects.select_for_update(skip_locked=True)
                    .filter(due_at__lte=horizon)
                    .exclude(pk__in=skipped)
                    .order_by("due_at", "pk")
                    .first()
                )
                if due is None:
                    break
                skipped.add(due.pk)
                # Never wait for an incident a service is changing: its row comes back next time.
                incident = (
                    Incident.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("priority")
                    .filter(pk=due.incident_id)
                    .first()
                )
                if incident is not None and _fire_due(
                    due=due, incident=incident, at=now or timezone.now()
                ):
                    fired += 1
        except Exception:
            logger.exception("Escalation due work %s failed; it stays for the next sweep", due)
    return fired


def _step_of(due: EscalationDue, escalation: Escalation | None) -> StepSnapshot | None:
    """The step a due row fires: from the typed snapshot, or a manual alert's own step."""
    if due.step_id == MANUAL_STEP_ID:
        return manual_step(due.repeat_of.recipients) if due.repeat_of else None
    return escalation.step(due.step_id) if escalation else None


def _fire_due(*, due: EscalationDue, incident: Incident, at: datetime) -> bool:
    escalation = Escalation.objects.filter(incident=incident).first()
    step = _step_of(due, escalation)
    repeat_of = due.repeat_of
    due.delete()
    # A resolved, closed or cancelled incident needs no more chasing.
    if step is None or escalation is None or incident.status in SETTLED:
        return False
    if due.attempt == 0:
        # The clock may have moved since the row was written: check the timer itself.
        timer = clock_of(step, {t.kind: t for t in SlaTimer.objects.filter(incident=incident)})
        if timer is None or not timer.running:
            return False
        if step_due_at(step, timer) > at:
            schedule_steps(incident=incident)
            return False
    else:
        # A repeat fires only while the firing it repeats still waits (due work written
        # before repeat_of existed names only the step).
        waiting = EscalationEvent.objects.filter(incident=incident, awaiting_ack=True)
        if repeat_of is not None:
            waiting = waiting.filter(pk=repeat_of.pk)
        else:
            waiting = waiting.filter(step_id=step.id)
        if not waiting.exists():
            return False
    event = _fire(
        incident=incident,
        escalation=escalation,
        step=step,
        repetition=due.repetition,
        attempt=due.attempt,
        due_at=due.due_at,
        at=at,
        repeat_of=repeat_of,
    )
    return event is not None


# --- What supervisors and agents do ---


def _escalation_of(incident: Incident, *, at: datetime) -> Escalation:
    """The incident's running escalation (an incident logged before the engine had none)."""
    escalation, _ = Escalation.objects.get_or_create(incident=incident, defaults={"entered_at": at})
    return escalation


@transaction.atomic
def acknowledge_escalations(*, incident_id: int, actor) -> list[EscalationEvent]:
    """A supervisor has seen the incident's escalations: stop their repeats."""
    incident = incident_services.lock_incident(incident_id, None)
    waiting = list(EscalationEvent.objects.filter(incident=incident, awaiting_ack=True))
    if not waiting:
        raise NothingToAcknowledge(
            f"{incident.reference} has no escalation waiting for acknowledgement."
        )
    now = timezone.now()
    EscalationEvent.objects.filter(pk__in=[e.pk for e in waiting]).update(
        awaiting_ack=False, acknowledged_at=now, acknowledged_by=actor
    )
    EscalationDue.objects.filter(incident=incident, attempt__gt=0).delete()
    events.record(
        incident=incident,
        kind=EventKind.ESCALATION_ACKNOWLEDGED,
        actor=actor,
        data={
            "escalation_event_ids": [e.pk for e in waiting],
            "steps": sorted({e.step_name for e in waiting}),
        },
    )
    return waiting


def _real_team(team: str) -> str:
    """The team's name as its group spells it; a name that is no group is refused."""
    teams = selectors.specialist_teams()
    found = next((t for t in teams if t.casefold() == team.casefold()), None)
    if found is None:
        known = ", ".join(teams) if teams else "none yet (an admin adds teams as groups)"
        raise Invalid({"team": [f"There is no specialist team “{team}”. Teams: {known}."]})
    return found


def manual_step(recipients: dict) -> StepSnapshot:
    """What a manual escalation's alert follows: the same repeat/timeout rules as a policy
    step that needs acknowledgement, with the timeout and repeats from settings (a manual
    escalation must reach someone whatever policy, if any, the incident runs)."""
    return StepSnapshot(
        id=MANUAL_STEP_ID,
        name="Manual escalation",
        trigger=Trigger.MANUAL,
        action=Action.NOTIFY,
        channel=settings.ESCALATION_MANUAL_CHANNEL,
        notify_group=recipients.get("group"),
        notify_user_id=recipients.get("user_id"),
        requires_ack=True,
        ack_timeout=timedelta(minutes=settings.ESCALATION_MANUAL_ACK_TIMEOUT_MINUTES),
        max_repeats=settings.ESCALATION_MANUAL_MAX_REPEATS,
    )


@transaction.atomic
def escalate_manually(*, incident_id: int, actor, reason: str, team: str = "") -> EscalationEvent:
    """An agent or supervisor escalates: one level up, or to a specialist team if named.

    Either way the target gets an alert that needs acknowledgement: the group of the new
    level's name, or the team's group, is notified (notify.py) and the alert repeats after
    the timeout, then moves up a level, as a policy step's does (manual_step).
    """
    reason, team = reason.strip(), team.strip()
    if not reason:
        raise Invalid({"reason": ["Say why the incident needs escalating."]})
    if team:
        team = _real_team(team)
    incident = incident_services.lock_incident(incident_id, None)
    if not incident.is_open:
        raise InvalidTransition(f"{incident.reference} is {incident.status}: reopen it first.")
    now = timezone.now()
    escalation = _escalation_of(incident, at=now)
    if team:
        escalation.team = team
        escalation.save(update_fields=["team"])
        action, target = Action.SPECIALIST, team
    else:
        if escalation.level >= Level.HEAD_OF_OPERATIONS:
            raise InvalidTransition(
                f"{incident.reference} is already with the head of operations, the top level."
            )
        escalation.level += 1
        escalation.save(update_fields=["level"])
        action, target = Action.RAISE_LEVEL, Level(escalation.level).label
    step = manual_step({"group": target})
    event = EscalationEvent.objects.create(
        incident=incident,
        step_id=MANUAL_STEP_ID,
        repetition=_next_repetition(incident, MANUAL_STEP_ID),
        step_name=step.name,
        trigger=Trigger.MANUAL,
        action=action,
        channel=step.channel,
        recipients=step.recipients,
        level=escalation.level,
        due_at=now,
        fired_at=now,
        actor=actor,
        reason=reason,
        requires_ack=True,
        awaiting_ack=True,
    )
    _schedule_repeat(step=step, incident=incident, escalation=escalation, event=event, attempt=0)
    events.record(
        incident=incident,
        kind=EventKind.ESCALATED_MANUALLY,
        actor=actor,
        data={
            "escalation_event_id": event.pk,
            "action": action,
            "level": escalation.level,
            "team": escalation.team or None,
            "needs_ack": True,
            "notify_group": event.recipients.get("group"),
        },
        rationale=reason,
    )
    notify.notify(event=event)
    fire_event_trigger(
        incident=incident, trigger=Trigger.MANUAL, at=now, actor=actor, reason=reason
    )
    return event


# --- When the incident settles or follows a parent: its alerts end ---


def close_alerts(*, incident: Incident, actor, at: datetime, because: str) -> list[int]:
    """Close the incident's open alerts (no acknowledgement will come) and delete its due
    work; recorded on the timeline when there was an alert to close. Returns their ids."""
    EscalationDue.objects.filter(incident=incident).delete()
    waiting = list(
        EscalationEvent.objects.filter(incident=incident, awaiting_ack=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return []
    EscalationEvent.objects.filter(pk__in=waiting).update(
        awaiting_ack=False, closed_at=at, closed_reason=because
    )
    events.record(
        incident=incident,
        kind=EventKind.ALERTS_CLOSED,
        actor=actor,
        data={"escalation_event_ids": waiting, "because": because},
    )
    return waiting


def on_settled(*, incident: Incident, actor, at: datetime) -> None:
    """Resolved, closed or cancelled: nobody needs to acknowledge its alerts any more."""
    close_alerts(incident=incident, actor=actor, at=at, because=incident.status)


def on_linked(*, incident: Incident, parent: Incident) -> None:
    """Linked to a parent: the parent's escalation speaks for the event, so the call's own
    alerts close and its due work goes; only its customer-update steps are scheduled again
    (its caller is still owed their own updates)."""
    close_alerts(incident=incident, actor=None, at=timezone.now(), because="linked")
    schedule_steps(incident=incident)


@transaction.atomic
def reapply_policy(*, incident_id: int, actor, reason: str = "") -> Escalation:
    """Follow the policy as admins have it now, instead of the snapshot taken at log time.

    Steps keep their ids across edits, so a step that already fired does not fire again.
    """
    incident = incident_services.lock_incident(incident_id, None)
    if not incident.is_open:
        raise InvalidTransition(f"{incident.reference} is {incident.status}: reopen it first.")
    now = timezone.now()
    escalation = _escalation_of(incident, at=now)
    before = escalation.snapshot.get("policy_name")
    policy = matching_policy(incident)
    escalation.policy = policy
    escalation.snapshot = policy_snapshot(policy, at=now)
    escalation.save(update_fields=["policy", "snapshot"])
    schedule_steps(incident=incident)
    events.record(
        incident=incident,
        kind=EventKind.POLICY_REAPPLIED,
        actor=actor,
        data={
            "from_policy": before,
            "to_policy": policy.name if policy else None,
            "step_count": len(escalation.steps()),
        },
        rationale=reason.strip(),
    )
    return escalation


@transaction.atomic
def acknowledge_incident(*, incident_id: int, actor, reason: str = "") -> Incident:
    """A supervisor records that the response was given by other means (a call-back, a
    colleague on site…), with how: the response target is met (incidents.record_response)."""
    incident = incident_services.lock_incident(incident_id, None)
    response = SlaTimer.objects.filter(
        incident=incident, kind=TimerKind.RESPONSE, met_at__isnull=True
    ).first()
    if response is None or not incident.is_open:
        raise NothingToAcknowledge(f"{incident.reference} has no response target running.")
    incident_services.record_response(
        incident_id=incident.pk, actor=actor, how=ResponseHow.OTHER_MEANS, reason=reason
    )
    return incident
