"""How long the incident page's recommendation and the board's resource panel take.

    DATABASE_URL=postgres://… .venv/bin/python bench/dispatch_reads.py [resources]

Builds a throwaway test database with N resources (default 500; a third busy on a
dispatch), then times `recommend()` and `resource_panel()` against the floor: the same rows
read with one hand-written SQL query each and ranked in plain Python.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings_test")

import django

django.setup()

from datetime import timedelta  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 30


def timed(call) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def build(count: int):
    from dispatch.models import ContactEndpoint, Dispatch, Resource
    from incidents import demo
    from incidents.models import Category
    from tests.factories import log, supervisor

    demo.install_reference_data()
    leak = Category.objects.get(slug="water-leak")
    incident = log(latitude="51.504000", longitude="-0.128800")
    boss = supervisor()
    now = timezone.now()
    resources = Resource.objects.bulk_create(
        Resource(
            call_sign=f"R{n:05d}",
            name=f"Resource {n}",
            kind="person",
            latitude=f"{51.49 + (n % 97) / 1000:.6f}",
            longitude=f"{-0.14 + (n % 89) / 1000:.6f}",
            verified_until=now + timedelta(days=1),
        )
        for n in range(count)
    )
    Resource.skills.through.objects.bulk_create(
        Resource.skills.through(resource_id=r.pk, category_id=leak.pk) for r in resources
    )
    ContactEndpoint.objects.bulk_create(
        ContactEndpoint(resource=r, channel="radio", address=r.call_sign) for r in resources
    )
    busy = resources[::3]
    Dispatch.objects.bulk_create(
        Dispatch(incident=incident, resource=r, channel="radio", briefing="b", dispatched_by=boss)
        for r in busy
    )
    Resource.objects.filter(pk__in=[r.pk for r in busy]).update(status="dispatched")
    return incident


def floor_recommend(incident):
    from dispatch.selectors import haversine_km

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.id, r.latitude, r.longitude,
                   (SELECT count(*) FROM dispatch_dispatch d
                     WHERE d.resource_id = r.id AND d.dispatched_at >= %s)
              FROM dispatch_resource r
              JOIN dispatch_resource_skills s ON s.resource_id = r.id
             WHERE r.status = 'available' AND r.verified_until > %s AND s.category_id = %s
            """,
            [timezone.now() - timedelta(hours=8), timezone.now(), incident.category_id],
        )
        rows = cursor.fetchall()
    rows.sort(key=lambda r: (haversine_km(incident.latitude, incident.longitude, r[1], r[2]), r[3]))
    return rows[:10]


def floor_panel():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.id, r.name, r.call_sign, r.kind, r.status, d.id, d.incident_id
              FROM dispatch_resource r
              LEFT JOIN dispatch_dispatch d ON d.resource_id = r.id
                   AND d.status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')
             ORDER BY r.call_sign
            """
        )
        return cursor.fetchall()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        from dispatch import selectors

        incident = build(count)
        incident = type(incident).objects.select_related("category", "priority").get()
        figures = [
            (
                "recommend() top 10",
                timed(lambda: selectors.recommend(incident)),
                timed(lambda: floor_recommend(incident)),
            ),
            ("resource_panel()", timed(selectors.resource_panel), timed(floor_panel)),
        ]
        print(
            f"{count} resources ({count // 3 + (count % 3 > 0)} busy), "
            f"{connection.vendor}, median of {RUNS} runs"
        )
        print(f"{'read':<22}{'ours ms':>10}{'floor ms':>10}{'ratio':>8}")
        for name, ours, floor in figures:
            print(f"{name:<22}{ours:>10.2f}{floor:>10.2f}{ours / floor:>8.1f}")
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
