"""Escalation engine benchmark: 10,000 open incidents whose response deadlines fall over the
next minutes; sweeps run every SLA_SWEEP_SECONDS as beat would trigger them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/id_escalation_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/escalation.py

Measures, for every deadline, the delay until its escalation event COMMITS (p50, p99, max,
duplicates, missed), and the cost of a sweep when nothing is due, with its EXPLAIN, next to
the floor: the bare claim query on its own, and the delay the sweep interval alone implies.
The database named in DATABASE_URL is created if missing and its escalation data emptied.

With --celery the sweeps run as in production instead: real `celery worker -Q escalation`
processes (--workers of them) and a real `celery beat`, on a Redis server of the benchmark's
own (so it can be restarted). The delay then runs from each deadline to the firing's
`fired_at` (written in the firing's transaction, milliseconds before its commit). --faults
adds what goes wrong in production: every --kill-every seconds one worker is SIGKILLed (and
started again at once, as a supervisor would), and beat and Redis are each restarted once,
at a third and at half of the spread.
"""

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_escalation_bench")


def create_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def setup(count: int):
    """Reference data, a one-step policy (response breached → notify, in-app) and `count`
    open P1 incidents with their timers, running escalations and due work, inserted in bulk."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from escalation.models import (
        Escalation,
        EscalationDue,
        EscalationEvent,
        EscalationPolicy,
        Trigger,
    )
    from escalation.services import policy_snapshot
    from incidents import demo
    from incidents.models import (
        Category,
        ImpactLevel,
        Incident,
        Priority,
        SlaTimer,
        TimerKind,
        UrgencyLevel,
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE escalation_escalationevent, escalation_escalationdue, "
            "escalation_escalation, escalation_slatimer, incidents_incidentevent, "
            "incidents_idempotencykey, incidents_incident CASCADE"
        )
    EscalationPolicy.objects.all().delete()
    demo.install_reference_data()
    user, _ = get_user_model().objects.get_or_create(username="bench")
    p1 = Priority.objects.get(code="P1")
    policy = EscalationPolicy.objects.create(name="Bench: response breached")
    policy.steps.create(order=1, name="Response breached", trigger=Trigger.RESPONSE_BREACHED)
    now = timezone.now()
    far = now + timedelta(days=1)
    incidents = Incident.objects.bulk_create(
        Incident(
            contact_channel="phone",
            caller_name="Bench caller",
            caller_phone="07700 900000",
            location=f"Bench site {n}",
            category=Category.objects.get(slug="water-leak"),
            summary=f"Bench incident {n}",
            impact=ImpactLevel.objects.get(rank=1),
            urgency=UrgencyLevel.objects.get(rank=1),
            priority=p1,
            matrix_version=1,
            created_by=user,
        )
        for n in range(count)
    )
    snapshot = policy_snapshot(policy, at=now)
    step_id = snapshot["steps"][0]["id"]
    timers, escalations, due = [], [], []
    for incident in incidents:
        for kind, target in (
            (TimerKind.RESPONSE, p1.response_target),
            (TimerKind.RESOLUTION, p1.resolution_target),
            (TimerKind.CUSTOMER_UPDATE, p1.update_interval),
        ):
            timers.append(
                SlaTimer(incident=incident, kind=kind, target=target, started_at=far, due_at=far)
            )
        escalations.append(
            Escalation(incident=incident, policy=policy, snapshot=snapshot, entered_at=now)
        )
        due.append(EscalationDue(incident=incident, step_id=step_id, due_at=far))
    SlaTimer.objects.bulk_create(timers, batch_size=5000)
    Escalation.objects.bulk_create(escalations, batch_size=5000)
    EscalationDue.objects.bulk_create(due, batch_size=5000)
    assert not EscalationEvent.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return p1.response_target


def idle_sweep(repeats: int = 200) -> dict:
    """A sweep with nothing due, next to its one query run bare (the floor); the plans of
    that query and of the claim a sweep makes when something is due."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from escalation import services
    from escalation.models import EscalationDue

    with CaptureQueriesContext(connection) as captured:
        services.sweep()
    idle_sql = captured.captured_queries[0]["sql"]
    # The claim exactly as the ORM writes it in services.sweep.
    with CaptureQueriesContext(connection) as claimed, transaction.atomic():
        EscalationDue.objects.select_for_update(skip_locked=True).filter(
            due_at__lte=timezone.now()
        ).order_by("due_at", "pk").first()
    claim_sql = next(q["sql"] for q in claimed.captured_queries if "SKIP LOCKED" in q["sql"])
    sweeps, bare = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        services.sweep()
        sweeps.append((time.perf_counter() - started) * 1000)
    with connection.cursor() as cursor:
        for _ in range(repeats):
            started = time.perf_counter()
            cursor.execute(idle_sql)
            cursor.fetchall()
            bare.append((time.perf_counter() - started) * 1000)
        plans = {}
        for name, sql in (("idle sweep", idle_sql), ("claim", claim_sql)):
            cursor.execute("EXPLAIN ANALYZE " + sql)
            plans[name] = (sql, "\n".join(row[0] for row in cursor.fetchall()))
    return {
        "queries": len(captured.captured_queries),
        "sweep_ms": statistics.median(sweeps),
        "sweep_p99_ms": percentile(sweeps, 0.99),
        "bare_ms": statistics.median(bare),
        "plans": plans,
    }


def spread_deadlines(count: int, start_in: float, spread: float, target: timedelta) -> float:
    """Move the response deadlines to now + start_in … + spread seconds; returns the last."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH ranked AS (
                SELECT incident_id,
                       now() + make_interval(secs => %s::float8 + %s::float8 * (row_number()
                           OVER (ORDER BY incident_id) - 1) / %s::float8) AS due
                FROM escalation_escalationdue
            )
            UPDATE escalation_escalationdue d SET due_at = r.due
            FROM ranked r WHERE d.incident_id = r.incident_id
            """,
            [start_in, spread, count],
        )
        cursor.execute(
            """
            UPDATE escalation_slatimer t SET due_at = d.due_at, started_at = d.due_at - %s
            FROM escalation_escalationdue d
            WHERE t.incident_id = d.incident_id AND t.kind = 'response'
            """,
            [target],
        )
    return time.time() + start_in + spread


def sweeper(ticks, interval: float, results) -> None:
    """One worker process taking beat's ticks from the shared queue, as `celery worker` takes
    them from Redis: a tick that waited longer than the interval has expired and is dropped."""
    import django

    django.setup()
    from django.db import transaction

    from escalation import notify, services

    commits: list[tuple[int, float]] = []
    plain_notify = notify.notify

    def timed_notify(*, event):
        plain_notify(event=event)
        transaction.on_commit(lambda: commits.append((event.pk, time.time())))

    notify.notify = timed_notify
    while (sent := ticks.get()) is not None:
        if time.time() - sent <= interval:
            services.sweep()
    results.put(commits)


def beat(ticks, until: float, interval: float, workers: int) -> None:
    """Celery beat: one tick every interval, whichever worker is free takes it."""
    tick = time.time()
    while tick < until:
        time.sleep(max(0.0, tick - time.time()))
        ticks.put(time.time())
        tick += interval
    for _ in range(workers):
        ticks.put(None)


class CeleryStack:
    """A Redis server, escalation workers and one beat, as docker-compose runs them."""

    def __init__(self, workers: int, interval: float):
        from incidentdesk import embedded_redis

        self.redis_module = embedded_redis
        self.redis, self.redis_url = embedded_redis.start()
        self.port = int(self.redis_url.rsplit(":", 1)[1].split("/")[0])
        self.env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "SLA_SWEEP_SECONDS": str(interval),
            "CHANNELS_PREFIX": f"bench-{os.getpid()}",
            "CELERY_TASK_LOG_LEVEL": "ERROR",
            "LOG_LEVEL": "ERROR",
        }
        self.workers = [self._start_worker(n) for n in range(workers)]
        self.beat = self._start_beat()
        self.kills = 0

    def _spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - our own processes, fixed arguments
            [sys.executable, "-m", "celery", "-A", "incidentdesk", *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _start_worker(self, n: int) -> subprocess.Popen:
        return self._spawn("worker", "-Q", "escalation", "--pool", "solo", "-n", f"bench{n}@%h")

    def _start_beat(self) -> subprocess.Popen:
        schedule = f"/tmp/bench-escalation-beat-{os.getpid()}"  # noqa: S108 - throwaway
        return self._spawn("beat", "-s", schedule, "--loglevel", "ERROR")

    def kill_a_worker(self) -> None:
        n = self.kills % len(self.workers)
        self.workers[n].send_signal(signal.SIGKILL)
        self.workers[n].wait()
        self.workers[n] = self._start_worker(n)
        self.kills += 1

    def restart_beat(self) -> None:
        self.beat.terminate()
        self.beat.wait(timeout=30)
        self.beat = self._start_beat()

    def restart_redis(self) -> None:
        self.redis_module.stop(self.redis)
        self.redis, _ = self.redis_module.start(port=self.port)

    def stop(self) -> None:
        for process in [*self.workers, self.beat]:
            process.terminate()
        for process in [*self.workers, self.beat]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.redis_module.stop(self.redis)


def wait_for_heartbeat(stack: "CeleryStack", timeout: float = 120) -> None:
    """Beat's heartbeat has run on an escalation worker: the stack is up."""
    import redis

    key = f"{stack.env['CHANNELS_PREFIX']}:beat-heartbeat"
    client = redis.Redis.from_url(stack.redis_url)
    deadline = time.time() + timeout
    while not client.get(key):
        if time.time() > deadline:
            raise SystemExit("The Celery workers and beat did not start")
        time.sleep(0.5)
    client.close()


def run_celery(args, interval: float, spread) -> tuple[dict, list]:
    """Start the stack, then the deadlines (`spread()` returns the last); run until every
    deadline has passed and the due work is gone (or a minute more). Returns the commit time
    of each escalation event and what went wrong on purpose."""
    from escalation.models import EscalationDue

    stack = CeleryStack(args.workers, interval)
    faults = []
    try:
        wait_for_heartbeat(stack)
        last = spread()
        started = time.time()
        beat_at = started + args.spread / 3 if args.faults else None
        redis_at = started + args.spread / 2 if args.faults else None
        next_kill = time.time() + args.kill_every if args.faults else None
        while time.time() < last + 15 or (
            time.time() < last + 75 and EscalationDue.objects.exists()
        ):
            now = time.time()
            if next_kill and now >= next_kill:
                stack.kill_a_worker()
                next_kill += args.kill_every
            if beat_at and now >= beat_at:
                stack.restart_beat()
                faults.append(f"beat restarted at +{now - started:.0f} s")
                beat_at = None
            if redis_at and now >= redis_at:
                stack.restart_redis()
                faults.append(f"Redis restarted at +{now - started:.0f} s")
                redis_at = None
            time.sleep(0.2)
    finally:
        stack.stop()
    if stack.kills:
        faults.append(f"{stack.kills} workers SIGKILLed, one every {args.kill_every:g} s")
    from escalation.models import EscalationEvent

    commits = {e.pk: e.fired_at.timestamp() for e in EscalationEvent.objects.only("fired_at")}
    return commits, faults


def _interrupt(signum, frame):
    """SIGTERM stops the run like Ctrl+C, so the processes it started are stopped too."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=600, help="seconds the deadlines span")
    parser.add_argument("--workers", type=int, default=1, help="sweeping worker processes")
    parser.add_argument("--celery", action="store_true", help="real Celery workers and beat")
    parser.add_argument("--faults", action="store_true", help="with --celery: kill, restart")
    parser.add_argument("--kill-every", type=float, default=20, help="seconds between kills")
    args = parser.parse_args()
    if args.faults and not args.celery:
        parser.error("--faults needs --celery")
    interval = float(os.environ.get("SLA_SWEEP_SECONDS", "2"))

    create_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from escalation.models import EscalationDue, EscalationEvent
    from incidents.models import EventKind, IncidentEvent

    call_command("migrate", verbosity=0)
    print(f"Setting up {args.incidents:,} open incidents …", flush=True)
    target = setup(args.incidents)
    idle = idle_sweep()

    def spread() -> float:
        last = spread_deadlines(args.incidents, 5, args.spread, target)
        connections.close_all()
        return last

    mode = "Celery worker(s) and beat" if args.celery else "worker(s)"
    print(f"Sweeping every {interval:g} s with {args.workers} {mode} …", flush=True)
    faults: list[str] = []
    if args.celery:
        commits, faults = run_celery(args, interval, spread)
    else:
        last = spread()
        fork = multiprocessing.get_context("fork")
        ticks, results = fork.Queue(), fork.Queue()
        workers = [
            fork.Process(target=sweeper, args=(ticks, interval, results))
            for _ in range(args.workers)
        ]
        for worker in workers:
            worker.start()
        beat(ticks, last + 15, interval, args.workers)
        commits = dict(pair for _ in workers for pair in results.get())
        for worker in workers:
            worker.join()

    events = {e.pk: e.due_at.timestamp() for e in EscalationEvent.objects.only("pk", "due_at")}
    delays = [commits[pk] - due for pk, due in events.items() if pk in commits]
    fired_twice = (
        IncidentEvent.objects.filter(kind=EventKind.ESCALATION_FIRED)
        .values("incident")
        .order_by()
        .annotate(n=django.db.models.Count("id"))
        .filter(n__gt=1)
        .count()
    )
    missed = args.incidents - len(events)
    left = EscalationDue.objects.count()
    floor = [interval * (n + 0.5) / 1000 for n in range(1000)]

    print()
    print(f"{'':34}{'measured':>12}{'floor':>12}")
    print(f"{'idle sweep (median)':34}{idle['sweep_ms']:>10.2f}ms{idle['bare_ms']:>10.2f}ms")
    print(f"{'idle sweep (p99)':34}{idle['sweep_p99_ms']:>10.2f}ms")
    print(f"{'idle sweep statements':34}{idle['queries']:>12}{1:>12}")
    for name, share in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        print(
            f"{'deadline → commit ' + name:34}{percentile(delays, share):>11.3f}s"
            f"{percentile(floor, share):>11.3f}s"
        )
    print(f"{'escalations committed':34}{len(delays):>12,}{args.incidents:>12,}")
    print(f"{'duplicates':34}{fired_twice:>12}{0:>12}")
    print(f"{'missed':34}{missed:>12}{0:>12}")
    print(f"{'due work left':34}{left:>12}{0:>12}")
    goal = 5.0 if args.faults else interval + 1
    verdict = "met" if percentile(delays, 0.99) <= goal else "NOT met"
    print(f"{f'goal: p99 ≤ {goal:g} s':34}{verdict:>12}")
    for fault in faults:
        print(f"fault: {fault}")
    print(f"load: {subprocess.run(['/usr/bin/uptime'], capture_output=True, text=True).stdout}")
    print()
    for name, (sql, plan) in idle["plans"].items():
        print(f"{name}: {sql}")
        print(plan)
        print()


if __name__ == "__main__":
    main()
