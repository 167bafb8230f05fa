"""Demo and reference data: a sensible matrix, priorities, categories, users, incidents.

The tests build their reference data with the same functions, so what a tester sees in
the demo is what the suite checks.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from incidents import services
from incidents.models import (
    Category,
    ImpactLevel,
    Incident,
    Priority,
    UrgencyLevel,
)

IMPACTS = [
    (1, "High", "Many people or a whole site affected; safety at risk; a critical service down."),
    (2, "Medium", "A department, a floor or a group of people affected; work degraded."),
    (3, "Low", "One person or one asset affected; a workaround exists."),
]
URGENCIES = [
    (1, "High", "Harm or damage is happening now or will within the hour."),
    (2, "Medium", "It will get worse within the day if nothing is done."),
    (3, "Low", "It can wait for a planned visit."),
]
PRIORITIES = [
    # code, name, colour, response, resolution, customer update interval
    ("P1", "Critical", "#c62828", timedelta(minutes=15), timedelta(hours=4), timedelta(minutes=30)),
    ("P2", "High", "#ef6c00", timedelta(minutes=30), timedelta(hours=8), timedelta(hours=1)),
    ("P3", "Moderate", "#f9a825", timedelta(hours=1), timedelta(hours=24), timedelta(hours=4)),
    ("P4", "Low", "#1565c0", timedelta(hours=4), timedelta(days=3), timedelta(days=1)),
    ("P5", "Planning", "#607d8b", timedelta(days=1), timedelta(days=10), timedelta(days=3)),
]
# MATRIX[impact rank - 1][urgency rank - 1] = priority code
MATRIX = [
    ["P1", "P2", "P3"],
    ["P2", "P3", "P4"],
    ["P3", "P4", "P5"],
]
CATEGORIES = [
    (
        "Fire or smoke",
        "fire-smoke",
        1,
        "Is anyone still inside?\nWhere exactly is the smoke or fire?\nHas the alarm sounded?",
        "Advise evacuation\nCall 999 if not already done\nNote alarm panel zone",
        "Life safety first: never ask the caller to go back inside.",
    ),
    (
        "Gas smell",
        "gas-smell",
        1,
        "Where is the smell strongest?\nIs there a hissing sound?",
        "Advise no switches or flames\nAdvise opening windows and leaving",
        "Gas emergencies go to the national gas emergency line as well.",
    ),
    (
        "Water leak or flood",
        "water-leak",
        2,
        "Where is the water coming from?\nIs it near electrics?\nHow fast is it spreading?",
        "Ask for the nearest asset tag (pipe, tank, valve)\nCheck for electrical risk",
        "Leak near electrics: raise urgency.",
    ),
    (
        "Power outage",
        "power-outage",
        2,
        "Which rooms or floors are without power?\nDid anything trip or bang?",
        "Ask for the distribution board number",
        "Whole-site outages are high impact.",
    ),
    (
        "Lift entrapment",
        "lift-entrapment",
        1,
        "How many people are trapped?\nIs anyone unwell?\nWhich lift (asset number)?",
        "Keep the caller on the line if they are trapped\nNote the lift asset number",
        "Entrapment with someone unwell is always high urgency.",
    ),
    (
        "Security or intruder",
        "security",
        2,
        "Is the person still there?\nDescription of the person?\nIs anyone in danger?",
        "Do not ask the caller to approach\nNote camera numbers if known",
        "Danger to people: call the police first.",
    ),
    (
        "Medical emergency",
        "medical",
        1,
        "Is the person breathing and conscious?\nExact location and access route?",
        "Call 999 first\nSend a first aider",
        "Stay on the line until help arrives.",
    ),
    (
        "IT system outage",
        "it-outage",
        2,
        "Which system?\nHow many users are affected?\nAny error message?",
        "Record the error text exactly\nAsk for the device asset tag",
        "Check the service status page before dispatching.",
    ),
    (
        "Heating or air conditioning",
        "hvac",
        3,
        "Which area?\nToo hot or too cold?\nAny vulnerable people affected?",
        "Ask for the thermostat or unit asset tag",
        "Vulnerable people affected: raise urgency.",
    ),
    (
        "Spillage or slip hazard",
        "spillage",
        3,
        "What has been spilled?\nIs the area cordoned off?",
        "Ask the caller to stand by the spill if safe",
        "Chemical spills: treat as high impact.",
    ),
    (
        "Noise or nuisance complaint",
        "noise",
        3,
        "Where is the noise coming from?\nSince when?",
        "Record caller's exact address",
        "Usually a query, not an incident.",
    ),
]
DEMO_USERS = [
    # username, password, group, is_staff
    ("agent", "agent-demo-pass", "Agent", False),
    ("supervisor", "supervisor-demo-pass", "Supervisor", False),
    ("admin", "admin-demo-pass", "Admin", True),
    ("board", "board-demo-pass", "Kiosk", False),
    ("dpo", "dpo-demo-pass", "Data protection officer", False),
]


@transaction.atomic
def install_reference_data(*, actor=None) -> None:
    """Levels, priorities, the matrix and categories, unless levels already exist."""
    if ImpactLevel.objects.exists():
        return
    impacts = {
        rank: ImpactLevel.objects.create(rank=rank, name=name, criteria=criteria)
        for rank, name, criteria in IMPACTS
    }
    urgencies = {
        rank: UrgencyLevel.objects.create(rank=rank, name=name, criteria=criteria)
        for rank, name, criteria in URGENCIES
    }
    priorities = {
        code: Priority.objects.create(
            code=code,
            rank=rank,
            name=name,
            colour=colour,
            response_target=response,
            resolution_target=resolution,
            update_interval=update,
        )
        for rank, (code, name, colour, response, resolution, update) in enumerate(PRIORITIES, 1)
    }
    services.save_matrix(
        cells={
            (impacts[i].pk, urgencies[u].pk): priorities[MATRIX[i - 1][u - 1]].pk
            for i in impacts
            for u in urgencies
        },
        actor=actor,
    )
    for name, slug, impact_rank, questions, checklist, notes in CATEGORIES:
        Category.objects.create(
            name=name,
            slug=slug,
            questions=questions,
            checklist=checklist,
            quick_reference=notes,
            default_impact=impacts[impact_rank],
        )


def install_users() -> list[tuple[str, str, str]]:
    """The demo logins, one per role; returns (username, password, role) to print."""
    User = get_user_model()
    for username, password, group, is_staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": is_staff,
                "first_name": username.title(),
                # Escalation emails reach the demo's duty manager (the console in dev).
                "email": f"{username}@incidentdesk.example",
            },
        )
        if created:
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=group))
    return [(username, password, group) for username, password, group, _ in DEMO_USERS]


SAMPLE_CALLS = [
    (
        "phone",
        "Ruth Okafor",
        "07700 900123",
        "",
        "Block B, 2nd floor kitchen",
        "water-leak",
        "Water pouring through ceiling light",
        2,
        1,
        ["PIPE-B2-07"],
    ),
    (
        "phone",
        "Tom Hale",
        "07700 900456",
        "",
        "Main reception, ground floor",
        "lift-entrapment",
        "Two people stuck in lift 3",
        1,
        1,
        ["LIFT-03"],
    ),
    (
        "email",
        "Priya Shah",
        "",
        "priya.shah@example.org",
        "Building C, room 114",
        "hvac",
        "Room too cold, heater not working",
        3,
        3,
        ["HVAC-C1-114"],
    ),
]

# Where each sample call is, near the demo resources (dispatch/demo.py), so the incident
# page's recommendations rank them by distance.
SAMPLE_POSITIONS = {
    "Block B, 2nd floor kitchen": ("51.50405", "-0.12885"),
    "Main reception, ground floor": ("51.50280", "-0.12640"),
    "Building C, room 114": ("51.50590", "-0.13080"),
}


def install_sample_incidents():
    """A few open incidents so the lists are not empty on first look (once only).

    Returns the agent who logged them and how many were logged (0: there were incidents)."""
    agent = get_user_model().objects.get(username="agent")
    if Incident.objects.exists():
        return agent, 0
    for (
        channel,
        name,
        phone,
        email,
        location,
        slug,
        summary,
        impact,
        urgency,
        assets,
    ) in SAMPLE_CALLS:
        services.log_incident(
            actor=agent,
            contact_channel=channel,
            caller_name=name,
            caller_phone=phone,
            caller_email=email,
            location=location,
            category=Category.objects.get(slug=slug),
            summary=summary,
            impact=ImpactLevel.objects.get(rank=impact),
            urgency=UrgencyLevel.objects.get(rank=urgency),
            asset_refs=assets,
            details_confirmed=True,
            latitude=SAMPLE_POSITIONS[location][0],
            longitude=SAMPLE_POSITIONS[location][1],
        )
    return agent, len(SAMPLE_CALLS)
