"""HTTP scale-out: the highest rate served without a backlog, open loop, by 1 and by 2 gunicorn
processes (the production HTTP server, incidentdesk/gunicorn_conf.py), for a write and a page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/id_http_bench \\
    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/http_scaleout.py

Open loop: requests are sent on a fixed schedule whatever the server does (new connections
are opened when every open one is busy), and each latency runs from the moment the request
was due, not sent, so a server that falls behind is charged for the wait (no coordinated
omission). A rate is "served without a backlog" when every request due in the step has been
answered successfully within 1 s of the step's end, the latency did not grow during the
step (median of its last quarter ≤ 2 × the first quarter's + 50 ms: a queue was not building
up) and the p99 is under --p99-ms. The rates climb in steps until one is not; the knee is
the last one that was. Each server is warmed up first (imports, connections). It also
prints the server's CPU time per request and the ceiling that implies on idle cores, so a
run on a busy machine can still be read.

Endpoints: POST /api/incidents/ with a token (the whole write path: one transaction,
timeline event, escalation entry, publish on commit to Redis), and GET /incidents/ with a
session (the incident list page, over --seed open incidents: every run starts from the same
data). The database named in DATABASE_URL is created if missing and its incidents emptied.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_http_bench")
os.environ.setdefault("HTTPS", "false")
PORT = 8790


def create_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup() -> tuple[str, str]:
    """Reference data, an agent with an API token and a signed-in session; returns both."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from incidents import demo
    from tests.factories import agent

    call_command("migrate", verbosity=0)
    demo.install_reference_data()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench-agent").first() or agent(
        username="bench-agent"
    )
    token, _ = Token.objects.get_or_create(user=user)
    client = Client()
    client.force_login(user)
    return token.key, client.cookies["sessionid"].value


def reset_incidents(count: int) -> None:
    """The same data for every run: `count` open incidents (the list page shows them), none
    of the incidents an earlier POST run created."""
    from django.db import connection

    from tests.factories import log

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE incidents_incident CASCADE")
    for n in range(count):
        log(summary=f"Bench seed {n}", caller_phone=f"07700 8{n:05d}")
    connection.close()


def start_server(processes: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PORT": str(PORT),
        "WEB_PROCESSES": str(processes),
        "WEB_THREADS": str(threads),
        "CONN_MAX_AGE": "60",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "gunicorn", "-c", "python:incidentdesk.gunicorn_conf"]
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [*command, "incidentdesk.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not become ready")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


class Endpoint:
    def __init__(self, name: str, method: str, path: str, headers: dict, body=None):
        self.name, self.method, self.path, self.headers = name, method, path, headers
        self.counter = 0
        self.body = body

    def request(self) -> bytes:
        self.counter += 1
        payload = b""
        if self.body is not None:
            payload = json.dumps(self.body(self.counter)).encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", "Host: localhost"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        lines += [f"Content-Length: {len(payload)}", "", ""]
        return "\r\n".join(lines).encode() + payload


def endpoints(token: str, session: str) -> dict[str, Endpoint]:
    def new_call(n: int) -> dict:
        return {
            "contact_channel": "phone",
            "caller_name": "Bench caller",
            "caller_phone": f"07700 9{n % 100000:05d}",
            "location": f"Bench site {n}",
            "category": "water-leak",
            "summary": f"Bench incident {n}",
            "impact": 3,
            "urgency": 3,
        }

    return {
        "post": Endpoint(
            "POST /api/incidents/",
            "POST",
            "/api/incidents/",
            {"Authorization": f"Token {token}", "Content-Type": "application/json"},
            body=new_call,
        ),
        "page": Endpoint(
            "GET /incidents/", "GET", "/incidents/", {"Cookie": f"sessionid={session}"}
        ),
    }


async def read_response(reader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def run_step(endpoint: Endpoint, rate: float, seconds: float) -> dict:
    idle: list = []
    latencies: list[float] = []
    timeline: list[tuple[float, float]] = []  # (due, latency), to see a queue building up
    failures = 0
    due = int(rate * seconds)

    async def one(scheduled: float) -> None:
        nonlocal failures
        conn = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", PORT)
        reader, writer = conn
        try:
            writer.write(endpoint.request())
            await writer.drain()
            status = await read_response(reader)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            failures += 1
            writer.close()
            return
        latencies.append(time.perf_counter() - scheduled)
        timeline.append((scheduled, latencies[-1]))
        if status >= 400:
            failures += 1
        idle.append(conn)

    started = time.perf_counter()
    tasks = []
    for n in range(due):
        scheduled = started + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    end = started + seconds
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, end + 1.0 - time.perf_counter()))
    for task in pending:
        task.cancel()
    for _, writer in idle:
        writer.close()
    latencies.sort()
    timeline.sort()
    quarter = max(1, len(timeline) // 4)
    first = statistics.median(lat for _, lat in timeline[:quarter]) if timeline else 0.0
    last = statistics.median(lat for _, lat in timeline[-quarter:]) if timeline else 0.0
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else None
    return {
        "rate": rate,
        "due": due,
        "answered": len(latencies),
        "unfinished": len(pending),
        "failures": failures,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": p99 * 1000 if p99 is not None else None,
        "growing": last > 2 * first + 0.05,
    }


def keeps_up(step: dict, p99_ms: float) -> bool:
    return (
        step["unfinished"] == 0
        and step["failures"] == 0
        and step["answered"] == step["due"]
        and not step["growing"]
        and step["p99_ms"] is not None
        and step["p99_ms"] <= p99_ms
    )


async def warm_up(endpoint: Endpoint, count: int = 30) -> None:
    """Serial requests first: each gunicorn process imports its views and opens its
    database connection on its first requests, which no step should be charged for."""
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    for _ in range(count):
        writer.write(endpoint.request())
        await writer.drain()
        await read_response(reader)
    writer.close()


def find_knee(endpoint: Endpoint, rates: list[float], seconds: float, p99_ms: float) -> tuple:
    asyncio.run(warm_up(endpoint))
    steps, knee = [], 0.0
    for rate in rates:
        step = asyncio.run(run_step(endpoint, rate, seconds))
        steps.append(step)
        ok = keeps_up(step, p99_ms)
        print(
            f"    {rate:6.0f}/s  answered {step['answered']:5}/{step['due']:<5} "
            f"failed {step['failures']:3}  p50 {step['p50_ms'] or 0:7.1f} ms  "
            f"p99 {step['p99_ms'] or 0:8.1f} ms{'  growing' if step['growing'] else ''}  "
            f"{'ok' if ok else 'BACKLOG'}",
            flush=True,
        )
        if not ok:
            break
        knee = rate
        time.sleep(1)  # let the last step's stragglers and connections settle
    return knee, steps


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) of the gunicorn master and its workers so far."""
    import psutil

    master = psutil.Process(server.pid)
    return sum(sum(p.cpu_times()[:2]) for p in [master, *master.children()])


def load() -> str:
    return subprocess.run(["/usr/bin/uptime"], capture_output=True, text=True).stdout.strip()


def _interrupt(signum, frame):
    """SIGTERM stops the run like Ctrl+C, so the server it started is stopped too."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8, help="length of each rate step")
    parser.add_argument("--p99-ms", type=float, default=1000)
    parser.add_argument("--start", type=float, default=4, help="first rate (requests/s)")
    parser.add_argument("--factor", type=float, default=1.25, help="each step's rate × this")
    parser.add_argument("--max-rate", type=float, default=2000)
    parser.add_argument("--endpoints", nargs="+", default=["post", "page"])
    parser.add_argument("--seed", type=int, default=30, help="open incidents before each run")
    args = parser.parse_args()

    create_database()
    token, session = setup()
    rates, rate = [], args.start
    while rate <= args.max_rate:
        rates.append(round(rate))
        rate *= args.factor
    targets = endpoints(token, session)
    knees: dict[tuple, float] = {}
    cpu: dict[tuple, float] = {}
    print(f"load before: {load()}", flush=True)
    for processes in args.processes:
        for key in args.endpoints:
            reset_incidents(args.seed)
            server = start_server(processes, args.threads)
            try:
                print(f"{targets[key].name}, {processes} process(es) × {args.threads} threads")
                cpu_before = server_cpu_seconds(server)
                knees[(key, processes)], steps = find_knee(
                    targets[key], rates, args.seconds, args.p99_ms
                )
                answered = sum(step["answered"] for step in steps)
                cpu[(key, processes)] = (server_cpu_seconds(server) - cpu_before) / max(1, answered)
                print(
                    f"    server CPU per request {cpu[(key, processes)] * 1000:.1f} ms; "
                    f"load: {load()}",
                    flush=True,
                )
            finally:
                stop_server(server)
    print()
    print(f"Highest rate without a backlog (p99 ≤ {args.p99_ms:g} ms, all answered), req/s:")
    print(f"{'endpoint':24}" + "".join(f"{p:>10} proc" for p in args.processes))
    for key in args.endpoints:
        row = "".join(f"{knees[(key, p)]:>15.0f}" for p in args.processes)
        print(f"{targets[key].name:24}{row}")
    # Each process runs Python code on one core at a time (the GIL): what the CPU alone
    # allows, were the cores free, is processes ÷ CPU per request, capped by the cores.
    cores = os.cpu_count() or 1
    print(f"CPU-bound ceiling on {cores} free cores (min(processes, cores) ÷ CPU per request):")
    for key in args.endpoints:
        row = "".join(
            f"{min(p, cores) / cpu[(key, p)]:>15.0f}" if cpu[(key, p)] else f"{'-':>15}"
            for p in args.processes
        )
        print(f"{targets[key].name:24}{row}")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
