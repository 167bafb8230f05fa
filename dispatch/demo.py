"""Demo resources, groups and channel rules; the tests build theirs with the same functions.

Positions are around a campus (Blocks A–C, main reception) at 51.50xx, -0.12xx: type those
coordinates on an incident to see distance ranking.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dispatch.models import ChannelRule, ContactEndpoint, Resource, ResourceGroup, ResourceKind
from incidents.models import Category, Priority
from messaging.channels import Channel

GROUPS = [
    ("Facilities North", "Engineers and porters for Blocks A and B"),
    ("Security team", "Patrol officers and the control room"),
    ("First aiders", "Trained first aiders on every floor"),
]
R, P, S, E, IM, PG = (
    Channel.RADIO,
    Channel.PHONE,
    Channel.SMS,
    Channel.EMAIL,
    Channel.IM,
    Channel.PAGER,
)
# call sign, name, kind, skills (category slugs), groups, (lat, lon), base, verified?,
# endpoints {channel: address}
RESOURCES = [
    (
        "FAC-1",
        "Sam Patel (plumber)",
        ResourceKind.PERSON,
        ["water-leak", "hvac", "spillage"],
        ["Facilities North"],
        ("51.50120", "-0.12410"),
        "Block A plant room",
        True,
        {R: "FAC-1", P: "07700 900201", S: "07700 900201", E: "sam.patel@example.org"},
    ),
    (
        "FAC-2",
        "Dee Mills (electrician)",
        ResourceKind.PERSON,
        ["power-outage", "water-leak", "lift-entrapment"],
        ["Facilities North"],
        ("51.50410", "-0.12890"),
        "Block B workshop",
        True,
        {R: "FAC-2", P: "07700 900202", E: "dee.mills@example.org", PG: "4402"},
    ),
    (
        "FAC-3",
        "Night porter",
        ResourceKind.PERSON,
        ["spillage", "water-leak", "noise"],
        ["Facilities North"],
        None,
        "Main reception",
        False,  # not verified yet: shows the refusal and the override
        {R: "FAC-3", P: "07700 900203"},
    ),
    (
        "SEC-1",
        "Security patrol 1",
        ResourceKind.TEAM,
        ["security", "fire-smoke", "gas-smell", "noise"],
        ["Security team"],
        ("51.50250", "-0.12600"),
        "Gatehouse",
        True,
        {R: "SEC-1", P: "07700 900301", S: "07700 900301"},
    ),
    (
        "SEC-2",
        "Security patrol 2",
        ResourceKind.TEAM,
        ["security", "fire-smoke", "lift-entrapment"],
        ["Security team"],
        ("51.50600", "-0.13100"),
        "Block C lodge",
        True,
        {R: "SEC-2", P: "07700 900302"},
    ),
    (
        "FA-1",
        "Priya (first aider, Block B)",
        ResourceKind.PERSON,
        ["medical"],
        ["First aiders"],
        ("51.50400", "-0.12880"),
        "Block B, 1st floor",
        True,
        {P: "07700 900401", S: "07700 900401", IM: "@priya.fa"},
    ),
    (
        "LIFT-CO",
        "LiftCare Ltd (contractor)",
        ResourceKind.EXTERNAL,
        ["lift-entrapment"],
        [],
        None,
        "Off site",
        True,
        {P: "0800 000 111", E: "callouts@liftcare.example.com"},
    ),
    (
        "IT-DESK",
        "IT service desk",
        ResourceKind.TEAM,
        ["it-outage"],
        [],
        None,
        "Block A, room 12",
        True,
        {IM: "#it-incidents", E: "itdesk@example.org", PG: "5500"},
    ),
    (
        "VAN-1",
        "Maintenance van",
        ResourceKind.VEHICLE,
        ["water-leak", "power-outage", "hvac"],
        ["Facilities North"],
        ("51.49900", "-0.12000"),
        "Yard",
        True,
        {R: "VAN-1", P: "07700 900501"},
    ),
]
SAFETY = ["fire-smoke", "gas-smell", "lift-entrapment", "medical", "security"]
# category slug → (channels for P1, channels for any other priority)
RULES = {
    **{slug: ([R, P], [R, P, S]) for slug in SAFETY},
    "water-leak": ([R, P, S], [R, S, E]),
    "power-outage": ([R, P, PG], [R, S, E]),
    "it-outage": ([PG, P, IM], [IM, E, PG]),
    "hvac": ([R, P], [S, E, P]),
    "spillage": ([R, P], [R, S, E]),
    "noise": ([R, P], [S, E, P]),
}


@transaction.atomic
def install_resources() -> int:
    """Groups, resources, their contacts and verification, and channel rules (once only)."""
    if Resource.objects.exists():
        return 0
    groups = {
        name: ResourceGroup.objects.create(name=name, description=description)
        for name, description in GROUPS
    }
    categories = {c.slug: c for c in Category.objects.all()}
    verifier = get_user_model().objects.filter(username="supervisor").first()
    now = timezone.now()
    for call_sign, name, kind, skills, in_groups, position, base, verified, contacts in RESOURCES:
        resource = Resource.objects.create(
            call_sign=call_sign,
            name=name,
            kind=kind,
            latitude=position[0] if position else None,
            longitude=position[1] if position else None,
            base=base,
            # Demo data: verified for a year so the demo keeps working.
            verified_by=verifier if verified else None,
            verified_at=now if verified else None,
            verified_until=now + timedelta(days=365) if verified else None,
            verification_note="Staff ID checked (demo)" if verified else "",
        )
        resource.skills.set([categories[slug] for slug in skills if slug in categories])
        resource.groups.set([groups[g] for g in in_groups])
        ContactEndpoint.objects.bulk_create(
            ContactEndpoint(resource=resource, channel=channel, address=address)
            for channel, address in contacts.items()
        )
    install_channel_rules()
    return len(RESOURCES)


def install_channel_rules() -> None:
    p1 = Priority.objects.filter(code="P1").first()
    for slug, (urgent, usual) in RULES.items():
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            continue
        ChannelRule.objects.get_or_create(
            category=category, priority=None, defaults={"channels": usual}
        )
        if p1:
            ChannelRule.objects.get_or_create(
                category=category, priority=p1, defaults={"channels": urgent}
            )
