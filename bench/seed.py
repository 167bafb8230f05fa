"""Bulk seeding for the benchmarks: many incidents in a few statements, not one service call each.

The rows look like what log_incident writes (an incident, its three SLA clocks) but skip the
timeline and the escalation: the benchmarks measure reads over many rows, and the write path
is measured on its own (bench/create_latency.py). PostgreSQL only: `INSERT … SELECT
generate_series` writes 100,000 incidents and 300,000 clocks in a few seconds.
"""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

# Open statuses the seeded incidents cycle through (incidents.lifecycle.Status).
OPEN_STATUSES = ["logged", "dispatched", "in_progress", "on_hold", "reopened"]
STREETS = ["High St", "Station Rd", "Church Lane", "Mill Road", "Park Avenue", "Queen St"]


def reference_data():
    """The demo's reference data, roles and a supervisor: (supervisor, category ids)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from incidents import demo, roles
    from incidents.models import Category

    demo.install_reference_data()
    roles.install_roles(group_model=Group, permission_model=Permission)
    user, _ = get_user_model().objects.get_or_create(username="bench-supervisor")
    user.groups.add(Group.objects.get(name="Supervisor"), Group.objects.get(name="Agent"))
    return user, list(Category.objects.filter(active=True).values_list("pk", flat=True))


def clear() -> None:
    """Remove every incident and what hangs off it (bench databases only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_incident, dispatch_dispatch, dispatch_resource RESTART IDENTITY "
            "CASCADE"
        )


def incidents(*, count: int, open_count: int, user, category_ids: list[int]) -> None:
    """`count` incidents over the last 30 days, the newest `open_count` of them open, each
    with its response, resolution and customer-update clocks (in two statements)."""
    from incidents.models import ImpactLevel, Priority, PriorityMatrix, UrgencyLevel

    impact = ImpactLevel.objects.order_by("rank").values_list("pk", flat=True)
    urgency = UrgencyLevel.objects.order_by("rank").values_list("pk", flat=True)
    priorities = list(Priority.objects.order_by("rank").values_list("pk", flat=True))
    matrix = PriorityMatrix.objects.order_by("pk").first()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO incidents_incident (
                record_type, contact_channel, received_at, caller_name, caller_phone,
                caller_email, location, category_id, summary, description, asset_refs,
                impact_id, urgency_id, priority_id, matrix_version, priority_justification,
                status, created_by_id, version, created_at, updated_at)
            SELECT 'incident', 'phone', t, 'Caller ' || g, '0700' || g, '',
                   (g %% 997) || ' ' || (%(streets)s::text[])[1 + g %% 6],
                   (%(cats)s::int[])[1 + g %% %(ncat)s],
                   'Bench incident ' || g, '', '[]'::jsonb,
                   %(impact)s, %(urgency)s, (%(prios)s::int[])[1 + g %% %(nprio)s], %(mv)s, '',
                   CASE WHEN g > %(closed)s THEN (%(statuses)s::text[])[1 + g %% 5]
                        ELSE 'closed' END,
                   %(user)s, 1, t, t
            FROM generate_series(1, %(count)s) AS g,
                 LATERAL (SELECT %(now)s - (%(count)s - g) * interval '25 seconds' AS t) AS x
            """,
            {
                "streets": STREETS,
                "statuses": OPEN_STATUSES,
                "cats": category_ids,
                "ncat": len(category_ids),
                "impact": impact[0],
                "urgency": urgency[0],
                "prios": priorities,
                "nprio": len(priorities),
                "mv": matrix.version,
                "closed": count - open_count,
                "user": user.pk,
                "count": count,
                "now": now,
            },
        )
        cursor.execute(
            """
            INSERT INTO escalation_slatimer (incident_id, kind, target, started_at, paused_at,
                paused_total, due_at, met_at, follows_parent_since)
            SELECT i.id, k.kind, k.target, i.received_at, NULL, interval '0',
                   i.received_at + k.target,
                   CASE WHEN i.status = 'closed' THEN i.received_at + interval '1 hour' END, NULL
            FROM incidents_incident i,
                 (VALUES ('response', interval '4 hours'), ('resolution', interval '1 day'),
                         ('customer_update', interval '2 hours')) AS k(kind, target)
            """
        )
        cursor.execute("ANALYZE incidents_incident; ANALYZE escalation_slatimer")


def dispatches(*, count: int, user) -> None:
    """`count` resources, each on an active dispatch to one of the newest open incidents."""
    from dispatch.models import Dispatch, DispatchStatus, Resource, ResourceKind, ResourceStatus
    from incidents.models import Incident
    from messaging.channels import Channel

    resources = Resource.objects.bulk_create(
        Resource(
            name=f"Bench unit {n}",
            kind=ResourceKind.choices[0][0],
            call_sign=f"BENCH-{n:04d}",
            status=ResourceStatus.DISPATCHED,
        )
        for n in range(count)
    )
    targets = Incident.objects.exclude(status="closed").order_by("-pk")[:count]
    Dispatch.objects.bulk_create(
        Dispatch(
            incident=incident,
            resource=resource,
            channel=Channel.PHONE,
            briefing="Bench briefing",
            status=DispatchStatus.ACKNOWLEDGED,
            dispatched_by=user,
            dispatched_at=timezone.now() - timedelta(minutes=3),
        )
        for incident, resource in zip(targets, resources, strict=False)
    )


def alerts(*, count: int) -> None:
    """`count` escalation alerts waiting for acknowledgement, on the newest open incidents."""
    from escalation.models import Action, EscalationEvent, Level, Trigger
    from incidents.models import Incident

    targets = Incident.objects.exclude(status="closed").order_by("-pk")[:count]
    EscalationEvent.objects.bulk_create(
        EscalationEvent(
            incident=incident,
            step_id=None,
            repetition=n,
            step_name="Bench step",
            trigger=Trigger.choices[0][0],
            action=Action.choices[0][0],
            level=Level.choices[0][0],
            fired_at=timezone.now(),
            requires_ack=True,
            awaiting_ack=True,
        )
        for n, incident in enumerate(targets)
    )
