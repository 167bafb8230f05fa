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
