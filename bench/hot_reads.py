"""Hot reads with 100,000 incidents: the assist panel, the incident list, the incident page.

    .venv/bin/python bench/hot_reads.py                 # seed 100,000 (1,000 open), 50 runs each
    .venv/bin/python bench/hot_reads.py --incidents 10000 --runs 30 --keep

Seeds a PostgreSQL database (DATABASE_URL default: id_hot_reads_bench, created and
migrated) with bench/seed.py (two INSERT … SELECT statements: incidents spread over 30
days, each with its SLA clocks), unless --keep finds it already seeded, then times each
page in this process through Django's test client as a logged-in agent: server time
(request in → response out, no network) p50/p99 and the queries each costs.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_hot_reads_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ["HTTPS"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"

from board_fanout import ensure_database  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "incidentdesk.settings"


def seed_once(*, count: int, open_count: int, keep: bool):
    import seed
    from django.core.management import call_command

    from incidents.models import Incident

    call_command("migrate", verbosity=0)
    user, categories = seed.reference_data()
    if keep and Incident.objects.count() >= count:
        return user
    seed.clear()
    started = time.perf_counter()
    seed.incidents(count=count, open_count=open_count, user=user, category_ids=categories)
    print(
        f"seeded {count:,} incidents ({open_count:,} open) in {time.perf_counter() - started:.1f} s"
    )
    return user


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    answer = client.get(url)  # warm: templates, caches, the plan
    assert answer.status_code == 200, (url, answer.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.test import Client

    from incidents.models import Category, ImpactLevel, Incident, UrgencyLevel

    user = seed_once(count=args.incidents, open_count=args.open, keep=args.keep)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    newest = Incident.objects.order_by("-pk").first()
    impact = ImpactLevel.objects.order_by("rank")[1]
    urgency = UrgencyLevel.objects.order_by("rank")[1]
    category = Category.objects.get(pk=newest.category_id)
    assist = (
        f"/incidents/new/assist/?category={category.pk}&impact={impact.pk}"
        f"&urgency={urgency.pk}&location={newest.location.replace(' ', '+')}"
    )
    reads = {
        "assist panel (preview, duplicates, guidance)": assist,
        "incident list (open, first page)": "/incidents/",
        "incident list (all, first page)": "/incidents/?view=all",
        "incident page": f"/incidents/{newest.pk}/",
    }
    print(
        f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min; the machine is shared)"
    )
    print(f"{Incident.objects.count():,} incidents; {args.runs} runs each; server time in-process")
    for label, url in reads.items():
        result = measure(client, url, args.runs)
        print(
            f"  {label:<46} p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms"
            f"  {result['queries']:>2} queries"
        )


if __name__ == "__main__":
    main()
