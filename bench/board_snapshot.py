"""Board snapshot: GET /api/board/ with 100 / 1,000 / 5,000 open incidents, beside a floor.

    .venv/bin/python bench/board_snapshot.py
    .venv/bin/python bench/board_snapshot.py --sizes 1000 --runs 30

For each size, seeds a PostgreSQL database (DATABASE_URL default: id_board_snapshot_bench,
created and migrated) with that many open incidents and their SLA clocks (bench/seed.py),
200 active dispatches and 100 escalation alerts waiting for acknowledgement (fewer when the
board is smaller), then times, as a supervisor in this process through Django's test client,
the snapshot endpoint (server time: request in → JSON out, no network), p50/p99, its bytes
and queries. The floor, in the same run on the same rows: one hand-written SQL query that
returns the same columns as JSON (json_agg; PostgreSQL does all the work), timed execute →
text fetched.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_board_snapshot_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ["HTTPS"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"

from board_fanout import ensure_database  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "incidentdesk.settings"

# The row's columns (board/rows.py), built by PostgreSQL: the next running SLA clock (else a
# paused one), the customer-update clock, the active dispatches and the waiting alerts.
FLOOR_SQL = """
SELECT coalesce(json_agg(r), '[]')::text FROM (
  SELECT i.id, 'INC-' || lpad(i.id::text, 6, '0') AS reference,
         '/incidents/' || i.id || '/' AS url, i.version, true AS open,
         i.status <> 'resolved' AS takes_resources,
         json_build_object('code', p.code, 'rank', p.rank, 'colour', p.colour) AS priority,
         json_build_object('slug', c.slug, 'name', c.name) AS category,
         i.summary, i.location, i.status, i.received_at,
         (SELECT json_build_object('kind', t.kind, 'due_at', t.due_at,
                 'target_seconds', extract(epoch FROM t.target)::int,
                 'paused', t.paused_at IS NOT NULL)
            FROM escalation_slatimer t
           WHERE t.incident_id = i.id AND t.met_at IS NULL
             AND t.kind IN ('response', 'resolution', 'customer_update')
           ORDER BY t.paused_at IS NOT NULL, t.due_at LIMIT 1) AS deadline,
         (SELECT json_build_object('due_at', t.due_at, 'paused', t.paused_at IS NOT NULL)
            FROM escalation_slatimer t
           WHERE t.incident_id = i.id AND t.met_at IS NULL AND t.kind = 'customer_update'
         ) AS customer_update,
         (SELECT coalesce(json_agg(json_build_object(
                   'dispatch_id', d.id, 'resource_id', d.resource_id,
                   'call_sign', res.call_sign, 'name', res.name, 'status', d.status)
                   ORDER BY d.dispatched_at), '[]')
            FROM dispatch_dispatch d JOIN dispatch_resource res ON res.id = d.resource_id
           WHERE d.incident_id = i.id
             AND d.status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')
         ) AS assigned,
         (SELECT coalesce(json_agg(json_build_object(
                   'id', e.id, 'step', e.step_name, 'level', e.level, 'trigger', e.trigger,
                   'fired_at', e.fired_at) ORDER BY e.fired_at), '[]')
            FROM escalation_escalationevent e
           WHERE e.incident_id = i.id AND e.awaiting_ack) AS alerts
    FROM incidents_incident i
    JOIN incidents_priority p ON p.id = i.priority_id
    JOIN incidents_category c ON c.id = i.category_id
   WHERE i.status NOT IN ('closed', 'cancelled')
) r
"""


def seed_board(size: int):
    import seed

    seed.clear()
    user, categories = seed.reference_data()
    seed.incidents(count=size, open_count=size, user=user, category_ids=categories)
    seed.dispatches(count=min(200, size // 2), user=user)
    seed.alerts(count=min(100, size // 4))
    return user


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def time_snapshot(client, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/api/board/")  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get("/api/board/")
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/board/")
    p50, p99 = percentiles(times)
    return {"p50": p50, "p99": p99, "bytes": len(answer.content), "queries": len(queries)}


def time_floor(runs: int) -> dict:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(FLOOR_SQL)
            (text,) = cursor.fetchone()
            times.append((time.perf_counter() - started) * 1000)
    p50, p99 = percentiles(times[1:])
    return {"p50": p50, "p99": p99, "bytes": len(text.encode()), "queries": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    results = []
    for size in args.sizes:
        user = seed_board(size)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        results.append((size, time_snapshot(client, args.runs), time_floor(args.runs)))
    print(
        f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min; the machine is shared)"
    )
    print(f"GET /api/board/, {args.runs} runs each, server time in-process")
    print(
        f"{'open':>6} | {'snapshot p50':>12} {'p99':>8} {'bytes':>9} {'queries':>7} |"
        f" {'floor p50':>9} {'p99':>8} {'bytes':>9}"
    )
    for size, app, floor in results:
        print(
            f"{size:>6} | {app['p50']:>10.1f}ms {app['p99']:>6.1f}ms {app['bytes']:>9,}"
            f" {app['queries']:>7} | {floor['p50']:>7.1f}ms {floor['p99']:>6.1f}ms"
            f" {floor['bytes']:>9,}"
        )


if __name__ == "__main__":
    main()
