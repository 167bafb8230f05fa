"""A realistic board for the layout tests, the screenshots and bench/board_heap.py: the
demo's reference data, logins, policy and resources, with 24 calls of a busy hour logged
over the last 25 minutes, a few resources sent, and the sweep run so alerts wait."""

from datetime import timedelta
from itertools import cycle
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from dispatch import demo as dispatch_demo
from dispatch import selectors as dispatch_selectors
from dispatch import services as dispatch_services
from escalation import services as escalation_services
from escalation.demo import install_default_policy
from escalation.models import EscalationPolicy, Trigger
from incidents import demo, roles, services
from incidents.models import Category, ImpactLevel, Incident, UrgencyLevel

# (category, summary, impact, urgency): ranks 1 (high) … 3 (low); the matrix gives P1…P5.
CALLS = [
    ("fire-smoke", "Smoke alarm sounding, smell of burning plastic", 1, 1),
    ("water-leak", "Water pouring through the ceiling light", 2, 1),
    ("lift-entrapment", "Two people stuck in lift 3 between floors", 1, 1),
    ("power-outage", "Half the second floor has no power", 2, 2),
    ("hvac", "Meeting room far too cold, heating off", 3, 3),
    ("security", "Door forced open at the loading bay", 2, 1),
    ("medical", "Visitor collapsed in the atrium, breathing", 1, 1),
    ("it-outage", "Card readers offline on every door of block A", 2, 2),
    ("spillage", "Oil spilt across the car park ramp", 2, 2),
    ("noise", "Drilling next to the exam hall", 3, 2),
    ("gas-smell", "Smell of gas in the basement kitchen", 1, 2),
    ("water-leak", "Toilet overflowing on the 4th floor", 3, 2),
    ("hvac", "Server room air conditioning alarm", 2, 1),
    ("security", "Aggressive caller at main reception", 2, 2),
    ("power-outage", "Emergency lighting failed on stair B", 2, 1),
    ("spillage", "Broken glass and juice in the canteen", 3, 3),
    ("it-outage", "Phones down at the help desk", 2, 1),
    ("lift-entrapment", "Goods lift stuck with a delivery driver", 1, 2),
    ("water-leak", "Radiator leaking onto the library carpet", 3, 3),
    ("noise", "Fire door alarm keeps sounding", 3, 3),
    ("medical", "Staff member cut their hand, bleeding", 2, 1),
    ("hvac", "No hot water in the sports centre", 3, 2),
    ("fire-smoke", "Small bin fire put out, still smoking", 2, 1),
    ("security", "Laptop stolen from the open office", 3, 2),
]
LOCATIONS = cycle(demo.SAMPLE_POSITIONS.items())


def demo_shift(*, minutes: int = 25, dispatched: int = 5, acknowledged: int = 8) -> list[Incident]:
    """Returns the incidents, oldest first; the first `acknowledged` with alerts have been
    acknowledged, as a supervisor would. Call from a thread without an event loop (the
    services publish to the board through async_to_sync)."""
    demo.install_reference_data()
    # A transactional test's flush emptied the groups migration 0002 made.
    roles.install_roles(group_model=Group, permission_model=Permission)
    demo.install_users()
    install_default_policy()
    dispatch_demo.install_resources()
    agent = get_user_model().objects.get(username="agent")
    # The calls came in one by one over the last `minutes`: a clock that moves on a little
    # at every reading spreads them out (and never runs backwards inside one call).
    clock = {"now": timezone.now() - timedelta(minutes=minutes)}
    step = timedelta(minutes=minutes) / (len(CALLS) * 12)

    def moving_now():
        clock["now"] += step
        return clock["now"]

    with mock.patch("django.utils.timezone.now", side_effect=moving_now):
        for slug, summary, impact, urgency in CALLS:
            location, (latitude, longitude) = next(LOCATIONS)
            services.log_incident(
                actor=agent,
                contact_channel="phone",
                caller_name="Ruth Okafor",
                caller_phone="07700 900123",
                location=location,
                latitude=latitude,
                longitude=longitude,
                category=Category.objects.get(slug=slug),
                summary=summary,
                impact=ImpactLevel.objects.get(rank=impact),
                urgency=UrgencyLevel.objects.get(rank=urgency),
                details_confirmed=True,
            )
    incidents = list(Incident.objects.order_by("pk"))
    supervisor = get_user_model().objects.get(username="supervisor")
    for incident in incidents[:dispatched]:
        offer = next((r for r in dispatch_selectors.recommend(incident) if r.channel), None)
        if offer is not None:
            dispatch_services.dispatch_resource(
                incident_id=incident.pk,
                resource_id=offer.resource.pk,
                channel=offer.channel,
                briefing=dispatch_selectors.briefing_for(incident),
                actor=supervisor,
            )
    escalation_services.sweep()
    waiting = Incident.objects.filter(escalation_events__awaiting_ack=True).distinct()
    for incident in waiting.order_by("pk")[:acknowledged]:
        escalation_services.acknowledge_escalations(incident_id=incident.pk, actor=supervisor)
    return incidents


# ---- A long shift of escalations, for the heap test and bench/board_heap.py -----------------

REMINDER_EVERY = timedelta(minutes=5)
REMIND_FOR_EVER = "Heap test: remind for ever"


def escalating_incidents(count: int) -> tuple[list[Incident], object]:
    """`count` P1 fires under a policy that reminds every 5 minutes, without end, until
    someone acknowledges: each `remind_all` is a new firing (an event, a new alert on the
    board, an alarm) on every one of them. Returns the incidents and the moment they fired."""
    demo.install_reference_data()
    roles.install_roles(group_model=Group, permission_model=Permission)
    demo.install_users()
    EscalationPolicy.objects.filter(name=REMIND_FOR_EVER).delete()  # a bench's last run
    policy = EscalationPolicy.objects.create(name=REMIND_FOR_EVER)
    policy.steps.create(
        order=1,
        name="Priority 1 logged — duty manager paged",
        trigger=Trigger.P1_LOGGED,
        requires_ack=True,
        ack_timeout=REMINDER_EVERY,
        max_repeats=10_000,
        notify_group=Group.objects.get_or_create(name="Duty manager")[0],
    )
    agent = get_user_model().objects.get(username="agent")
    started = timezone.now()
    fires = [
        services.log_incident(
            actor=agent,
            contact_channel="phone",
            caller_name="Ruth Okafor",
            caller_phone="07700 900123",
            location=f"Block {n // 10}, room {n % 10}",
            category=Category.objects.get(slug="fire-smoke"),
            summary=f"Smoke alarm {n} sounding",
            impact=ImpactLevel.objects.get(rank=1),
            urgency=UrgencyLevel.objects.get(rank=1),
            details_confirmed=True,
        ).incident
        for n in range(count)
    ]
    return fires, started


class Reminders:
    """Sweeps on a clock that jumps a reminder period ahead whenever nothing is left to
    fire: each call fires what one sweep can (a sweep is bounded in time), so events
    keep coming as fast as the machine makes them."""

    def __init__(self, started):
        self.started = started
        self.period = 1

    def sweep(self) -> int:
        fired = escalation_services.sweep(now=self.started + REMINDER_EVERY * self.period)
        if fired == 0:
            self.period += 1
        return fired


def heap_metrics(cdp) -> dict:
    """After a full garbage collection: the page's JS heap in use, DOM nodes, listeners."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {
        "heap_mb": round(metrics["JSHeapUsedSize"] / 2**20, 2),
        "nodes": int(metrics["Nodes"]),
        "listeners": int(metrics["JSEventListeners"]),
    }
