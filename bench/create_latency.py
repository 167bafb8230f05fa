"""Create latency: POST /api/incidents/ against a bare one-INSERT view, open loop, one process.

    .venv/bin/python bench/create_latency.py                  # 5, 20, 40, 80/s, 8 s each
    .venv/bin/python bench/create_latency.py --rates 5 40 --seconds 5

Starts one Daphne process (DATABASE_URL default: PostgreSQL database id_create_bench,
created and migrated; REDIS_URL default: Redis db 4) with bench.floor_settings, which adds
the floor at /bench/floor/ (bench/floor_urls.py: the same middleware and database, one
INSERT, a JSON answer). Both are driven open loop: request i is due at start + i/rate,
whatever the server is doing, and its latency is counted from that due time, so a server
that falls behind shows the queue it builds. "No backlog" at a rate: every answer a 2xx and
p99 within 1 s. Queries per request are counted in this process on the same code (Django's
test client), beside the server run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_create_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ.setdefault("CHANNELS_PREFIX", "bench")
os.environ["HTTPS"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"

from board_fanout import ensure_database, free_port  # noqa: E402

# After board_fanout, which names the project's settings: the server and this process use
# the bench's, with the floor's URL.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor_settings"

FLOOR = "/bench/floor/"
APP = "/api/incidents/"
NO_BACKLOG_P99 = 1.0  # seconds
ASGI_APP = "incidentdesk.asgi:application"


def body(n: int) -> dict:
    # A P3 (impact and urgency rank 2 in the demo matrix): the common case, no P1 alarm.
    return {
        "contact_channel": "phone",
        "category": "water-leak",
        "summary": f"Bench call {n}",
        "impact": 2,
        "urgency": 2,
        "caller_name": "Bench caller",
        "caller_phone": "07000 000000",
        "location": f"{n % 500} High St",
    }


def prepare() -> str:
    """Migrate, reference data, an agent with an API token, the floor's table; the token."""
    import django

    django.setup()
    import seed
    from django.core.management import call_command
    from django.db import connection
    from floor_urls import FLOOR_TABLE
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    user, _ = seed.reference_data()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
            "(id bigserial PRIMARY KEY, body jsonb NOT NULL, at timestamptz NOT NULL)"
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def queries_per_request(token: str) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    counts = {}
    for label, url in (("floor", FLOOR), ("app", APP)):
        client.post(url, json.dumps(body(0)), content_type="application/json")  # warm
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(url, json.dumps(body(1)), content_type="application/json")
        assert answer.status_code == 201, (label, answer.status_code, answer.content[:300])
        counts[label] = len(queries)
    return counts


def start_daphne(port: int) -> subprocess.Popen:
    (ROOT / ".run").mkdir(exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), ASGI_APP],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(ROOT / ".run" / "bench-daphne.log", "w"),  # noqa: SIM115
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("Daphne did not start")


class Driver:
    """Open loop: requests leave on schedule from a pool of keep-alive connections."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=256)

    def _connection(self) -> HTTPConnection:
        if getattr(self.local, "conn", None) is None:
            self.local.conn = HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.conn

    def _post(self, url: str, n: int, due: float) -> tuple[float, int]:
        payload = json.dumps(body(n))
        headers = {"Content-Type": "application/json", "Authorization": f"Token {self.token}"}
        for attempt in range(2):
            try:
                conn = self._connection()
                conn.request("POST", url, payload, headers)
                answer = conn.getresponse()
                answer.read()
                return time.perf_counter() - due, answer.status
            except OSError:
                self.local.conn = None  # the server closed a kept-alive connection: reopen
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def run(self, url: str, *, rate: float, seconds: float, start_n: int) -> dict:
        count = int(rate * seconds)
        start = time.perf_counter() + 0.05
        futures = []
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(self.pool.submit(self._post, url, start_n + i, due))
        results = [f.result() for f in futures]
        elapsed = time.perf_counter() - start
        latencies = sorted(latency for latency, _ in results)
        ok = sum(200 <= status < 300 for _, status in results)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        return {
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": p99 * 1000,
            "answered_per_s": len(results) / elapsed,
            "errors": len(results) - ok,
            "no_backlog": ok == len(results) and p99 <= NO_BACKLOG_P99,
        }


def _cells(result: dict) -> str:
    kept_up = "yes" if result["no_backlog"] else "no"
    return f"{result['p50_ms']:>7.1f}ms {result['p99_ms']:>5.0f}ms {kept_up:>3}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[5, 20, 40, 80])
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()

    ensure_database()
    token = prepare()
    queries = queries_per_request(token)
    port = free_port()
    server = start_daphne(port)
    driver = Driver(port, token)
    results: dict[str, dict[float, dict]] = {"floor": {}, "app": {}}
    try:
        for url in (FLOOR, APP):
            driver.run(url, rate=5, seconds=1, start_n=0)  # warm the process and connections
        n = 10_000
        for rate in args.rates:
            for label, url in (("floor", FLOOR), ("app", APP)):
                results[label][rate] = driver.run(url, rate=rate, seconds=args.seconds, start_n=n)
                n += int(rate * args.seconds)
                time.sleep(1)  # let a backlog drain before the next run
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min; the machine is shared)"
    )
    print(f"queries per request: floor {queries['floor']}, app {queries['app']}")
    print(f"{'rate/s':>7} | floor p50     p99  ok |   app p50     p99  ok")
    for rate in args.rates:
        cells = [_cells(results[label][rate]) for label in ("floor", "app")]
        print(f"{rate:>7g} | {cells[0]} | {cells[1]}")
    for label in ("floor", "app"):
        kept_up = [rate for rate in args.rates if results[label][rate]["no_backlog"]]
        print(f"highest rate with no backlog, {label}: {max(kept_up) if kept_up else 'none'}/s")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
