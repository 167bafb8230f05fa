"""The SLA clocks: one row per incident and kind, changed only by the lifecycle's rules.

Called by the incident and customer-care services inside their transaction (the incident
row is locked already). Each change emits `clocks_changed`, so the escalation engine keeps
its due work in step with the clocks (subscribed in incidentdesk/wiring.py).
"""

from datetime import datetime, timedelta

from django.conf import settings

from core import hooks
from incidents.lifecycle import SLA_TIMERS, TimerKind
from incidents.models import Incident, Priority, RecordType, SlaTimer

# A linked call follows its parent's response and resolution; its caller is still owed
# their own updates, so its customer-update clock keeps running.
FOLLOWS_PARENT = (TimerKind.RESPONSE, TimerKind.RESOLUTION)


def acknowledgement_target() -> timedelta:
    """How long a deployed resource has to acknowledge its briefing before the board warns."""
    return timedelta(minutes=settings.DISPATCH_ACKNOWLEDGE_WITHIN_MINUTES)


def _targets(priority: Priority) -> dict[str, object]:
    return {
        TimerKind.RESPONSE: priority.response_target,
        TimerKind.RESOLUTION: priority.resolution_target,
        TimerKind.CUSTOMER_UPDATE: priority.update_interval,
    }


def start_timers(*, incident: Incident, at: datetime) -> list[SlaTimer]:
    """Start the incident's timers from its priority's targets (incidents only)."""
    if incident.record_type != RecordType.INCIDENT:
        return []
    timers = [
        SlaTimer(incident=incident, kind=kind, target=target, started_at=at, due_at=at + target)
        for kind, target in _targets(incident.priority).items()
    ]
    return SlaTimer.objects.bulk_create(timers)


def retarget_timers(*, incident: Incident) -> None:
    """A new priority moves the deadlines of the timers that have not been met."""
    targets = _targets(incident.priority)
    for timer in incident.timers.select_for_update().filter(
        kind__in=list(targets), met_at__isnull=True
    ):
        timer.target = targets[timer.kind]
        timer.recompute_due()
        timer.save(update_fields=["target", "due_at"])
    hooks.emit("clocks_changed", incident=incident)


def pause_timers(*, incident: Incident, at: datetime, kinds=SLA_TIMERS) -> None:
    """On hold: the clocks stop until the incident is worked again."""
    incident.timers.filter(kind__in=kinds, met_at__isnull=True, paused_at__isnull=True).update(
        paused_at=at
    )
    hooks.emit("clocks_changed", incident=incident)


def resume_timers(*, incident: Incident, at: datetime) -> None:
    for timer in incident.timers.select_for_update().filter(
        met_at__isnull=True, paused_at__isnull=False
    ):
        timer.paused_total += at - timer.paused_at
        timer.paused_at = None
        timer.recompute_due()
        timer.save(update_fields=["paused_total", "paused_at", "due_at"])
    hooks.emit("clocks_changed", incident=incident)


def meet_timers(*, incident: Incident, kinds: list[str], at: datetime) -> None:
    """Stop the clocks of these kinds: met, or no longer owed (a cancelled incident)."""
    incident.timers.filter(kind__in=kinds, met_at__isnull=True).update(met_at=at)
    hooks.emit("clocks_changed", incident=incident)


def follow_parent(*, incident: Incident, at: datetime) -> None:
    """Linked to a parent (at log time or later): the call's own response and resolution
    clocks stop being its own, so no escalation is due on them; the parent's run for it.

    Met timers are marked too, so a reopened linked call still follows its parent.
    """
    incident.timers.filter(kind__in=FOLLOWS_PARENT, follows_parent_since__isnull=True).update(
        follows_parent_since=at
    )
    hooks.emit("clocks_changed", incident=incident)


def stop_following_parent(*, incident: Incident, at: datetime) -> None:
    """Unlinked: its own clocks again, with the elapsed time kept.

    The time while linked counts as elapsed (the clock resumes as if it had run all along,
    as the caller's wait did), so each due_at is what it was: a deadline that passed while
    linked is a breach now, and the escalation engine fires it on its next sweep.
    """
    incident.timers.filter(follows_parent_since__isnull=False).update(follows_parent_since=None)
    hooks.emit("clocks_changed", incident=incident)


def reset_customer_update_timer(*, incident: Incident, at: datetime) -> SlaTimer | None:
    """The customer was just updated: the next update is due one update interval from `at`.

    A stopped timer (the incident is resolved or cancelled) stays stopped; a paused one (on
    hold) restarts paused, so its clock runs again only when the incident is worked again.
    """
    timer = (
        incident.timers.select_for_update()
        .filter(kind=TimerKind.CUSTOMER_UPDATE, met_at__isnull=True)
        .first()
    )
    if timer is None:
        return None
    timer.target = incident.priority.update_interval
    timer.started_at = at
    timer.paused_total = timedelta()
    if timer.paused_at is not None:
        timer.paused_at = at
    timer.recompute_due()
    timer.save(update_fields=["target", "started_at", "paused_total", "paused_at", "due_at"])
    hooks.emit("clocks_changed", incident=incident)
    return timer


def reopen_timers(*, incident: Incident, at: datetime) -> None:
    """A reopened incident owes the customer a fix again.

    The resolution clock resumes where it stopped: the time spent resolved counts as a
    pause, so a fix that did not hold is measured against the original target, not a fresh
    one. The customer-update clock starts a new interval from now. The response timer stays
    met: the first response already happened.
    """
    for timer in incident.timers.select_for_update().filter(
        kind__in=[TimerKind.RESOLUTION, TimerKind.CUSTOMER_UPDATE], met_at__isnull=False
    ):
        if timer.kind == TimerKind.RESOLUTION:
            stopped_at = timer.paused_at or timer.met_at
            timer.paused_total += at - stopped_at
        else:
            timer.target = incident.priority.update_interval
            timer.started_at = at
            timer.paused_total = timedelta()
        timer.paused_at = None
        timer.met_at = None
        timer.recompute_due()
        timer.save(
            update_fields=["target", "started_at", "paused_total", "paused_at", "met_at", "due_at"]
        )
    hooks.emit("clocks_changed", incident=incident)


def await_acknowledgement(*, incident: Incident, since: datetime | None, at: datetime) -> None:
    """The acknowledgement clock: running from `since` (the oldest active dispatch nobody
    has acknowledged yet), or met at `at` when `since` is None (every one answered, or none
    is left). The row is kept once made: it also records that someone was sent."""
    if incident.record_type != RecordType.INCIDENT:
        return
    if since is not None and not incident.takes_resources:
        return  # resolved, closed or cancelled: nobody is waited for any more
    timer = incident.timers.select_for_update().filter(kind=TimerKind.ACKNOWLEDGEMENT).first()
    if since is None:
        if timer is None or timer.met_at is not None:
            return
        timer.met_at = at
        timer.save(update_fields=["met_at"])
    else:
        if timer is not None and timer.met_at is None and timer.started_at == since:
            return
        if timer is None:
            timer = SlaTimer(incident=incident, kind=TimerKind.ACKNOWLEDGEMENT)
        timer.target, timer.started_at = acknowledgement_target(), since
        timer.paused_at, timer.paused_total, timer.met_at = None, timedelta(), None
        timer.recompute_due()
        timer.save()
    hooks.emit("clocks_changed", incident=incident)
