"""Board fan-out: delay from the API's answer to every board receiving the event, and the floor.

    .venv/bin/python bench/board_fanout.py            # N = 50, 200, 500
    .venv/bin/python bench/board_fanout.py --clients 200 --count 40 --rate 5

Starts Daphne on the Redis channel layer (DATABASE_URL default: PostgreSQL database
id_board_bench, created and migrated; REDIS_URL default: Redis db 4), connects N
authenticated board WebSockets (one supervisor's session), logs incidents through the REST
API (token auth) at a steady rate and times, per client, API response → event received.
The floor, in the same run and to the same N clients: a bare channels_redis group_send of
a payload of the same size from this process, timed group_send return → received (Daphne
and the consumer still forward it: what the app adds is Django, the database and publish).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_board_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("CHANNELS_PREFIX", "bench")
os.environ["HTTPS"] = "false"  # plain HTTP on loopback: cookies must not be Secure-only
os.environ["DJANGO_SETTINGS_MODULE"] = "incidentdesk.settings"
os.environ["LOG_LEVEL"] = "WARNING"

import websockets  # noqa: E402


def ensure_database() -> None:
    import environ
    import psycopg

    settings = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    if "postgresql" not in settings["ENGINE"]:
        return
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname=%s", [settings["NAME"]]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{settings["NAME"]}"')


def prepare() -> tuple[str, str]:
    """Migrate, reference data, a supervisor with a session and an API token."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from incidents import demo, roles
    from incidents.models import Incident

    call_command("migrate", verbosity=0)
    demo.install_reference_data()
    roles.install_roles(group_model=Group, permission_model=Permission)
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-supervisor")
    user.groups.add(Group.objects.get(name="Supervisor"))
    # Leave the board's open list small so each run starts alike.
    Incident.objects.filter(created_by=user).exclude(status__in=["closed", "cancelled"]).update(
        status="cancelled"
    )
    client = Client()
    client.force_login(user)
    token, _ = Token.objects.get_or_create(user=user)
    return client.cookies["sessionid"].value, token.key


def free_port() -> int:
    from incidentdesk.embedded_redis import free_port as port

    return port()


def start_daphne(port: int) -> subprocess.Popen:
    (ROOT / ".run").mkdir(exist_ok=True)  # a fresh clone has no .run yet
    process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "incidentdesk.asgi:application",
        ],
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


def body(n: int) -> bytes:
    return json.dumps(
        {
            "contact_channel": "phone",
            "caller_name": "Bench Caller",
            "caller_phone": "07700 900000",
            "location": f"Bench site {n}",
            "category": "water-leak",
            "summary": f"Benchmark incident {n}",
            "impact": 2,
            "urgency": 2,
        }
    ).encode()


def post(url: str, token: str, data: bytes) -> tuple[float, str]:
    request = urllib.request.Request(  # noqa: S310 (our own loopback URL)
        url,
        data=data,
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        reference = json.loads(response.read())["reference"]
    return time.perf_counter(), reference


class Clients:
    def __init__(self):
        self.received: dict[str, list[float]] = {}
        self.sockets = []
        self.tasks = []

    async def connect(self, port: int, n: int, cookie: str) -> None:
        headers = {"Cookie": f"sessionid={cookie}"}
        for i in range(0, n, 50):  # in batches, as boards reconnect in practice
            batch = [
                websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/board/",
                    additional_headers=headers,
                    origin=f"http://127.0.0.1:{port}",
                    max_queue=None,
                    open_timeout=30,
                )
                for _ in range(min(50, n - i))
            ]
            self.sockets += await asyncio.gather(*batch)
        self.tasks = [asyncio.create_task(self._read(ws)) for ws in self.sockets]

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") == "event" and message.get("kind") == "logged":
                    self.received.setdefault(message["reference"], []).append(now)
        except websockets.ConnectionClosed:
            pass

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        for task in self.tasks:
            task.cancel()


def figures(sent: dict[str, float], received: dict[str, list[float]], n: int) -> dict:
    delays, lost = [], 0
    for key, at in sent.items():
        times = received.get(key, [])
        lost += n - len(times)
        delays += [(t - at) * 1000 for t in times]
    delays.sort()
    pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else float("nan")  # noqa: E731
    return {
        "p50": statistics.median(delays) if delays else float("nan"),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": delays[-1] if delays else float("nan"),
        "lost": lost,
        "delivered": len(delays),
    }


async def run_n(port: int, n: int, cookie: str, token: str, count: int, rate: float) -> tuple:
    from channels.layers import get_channel_layer

    clients = Clients()
    await clients.connect(port, n, cookie)
    await asyncio.sleep(1)
    url = f"http://127.0.0.1:{port}/api/incidents/"
    bodies = [body(i) for i in range(count)]

    app_sent: dict[str, float] = {}
    app_started: dict[str, float] = {}
    for data in bodies:
        started = time.perf_counter()
        answered, reference = await asyncio.to_thread(post, url, token, data)
        app_sent[reference], app_started[reference] = answered, started
        await asyncio.sleep(max(0, 1 / rate - (time.perf_counter() - started)))
    await asyncio.sleep(3)
    app = figures(app_sent, clients.received, n)
    app_from_request = figures(app_started, clients.received, n)
    sample = await asyncio.to_thread(_sample_message, next(iter(app_sent)))

    layer = get_channel_layer()
    floor_sent: dict[str, float] = {}
    floor_started: dict[str, float] = {}
    for i in range(count):
        started = time.perf_counter()
        reference = f"FLOOR-{n}-{i}"
        event = {**sample, "reference": reference}
        await layer.group_send("board", {"type": "incident.event", "event": event})
        floor_sent[reference], floor_started[reference] = time.perf_counter(), started
        await asyncio.sleep(max(0, 1 / rate - (time.perf_counter() - started)))
    await asyncio.sleep(3)
    floor = figures(floor_sent, clients.received, n)
    floor_from_call = figures(floor_started, clients.received, n)
    await clients.close()
    await layer.close_pools()
    return {
        "app: API response →": app,
        "app: API request →": app_from_request,
        "floor: group_send return →": floor,
        "floor: group_send call →": floor_from_call,
    }


def _sample_message(reference: str) -> dict:
    """A real live event of the app (row included), for a floor payload of the same size."""
    from board import rows as board
    from incidents.events import event_message
    from incidents.models import Incident, IncidentEvent

    incident = Incident.objects.get(pk=int(reference.split("-")[1]))
    event = IncidentEvent.objects.filter(incident=incident).first()
    return {
        **event_message(event, caller_visible=False),
        "prev_id": 0,
        "row": board.incident_row(incident.pk),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[50, 200, 500])
    parser.add_argument("--count", type=int, default=40, help="incidents per N")
    parser.add_argument("--rate", type=float, default=5, help="incidents per second")
    args = parser.parse_args()
    ensure_database()
    cookie, token = prepare()
    port = free_port()
    daphne = start_daphne(port)
    rows = []
    try:
        for n in args.clients:
            print(f"N={n}…", flush=True)
            rows.append((n, asyncio.run(run_n(port, n, cookie, token, args.count, args.rate))))
    finally:
        daphne.terminate()
        daphne.wait(10)
    print(
        f"\n{args.count} incidents per N at {args.rate}/s; ms until each client received it. "
        "The app publishes on commit, before it answers, so 'API response →' can be negative;"
        " 'API request →' (the whole request) is compared with 'group_send call →'."
    )
    print(f"{'N':>4}  {'from':28} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'lost':>5}")
    for n, result in rows:
        for name, f in result.items():
            print(
                f"{n:>4}  {name:28} {f['p50']:7.1f} {f['p95']:7.1f} {f['p99']:7.1f} "
                f"{f['max']:7.1f} {f['lost']:5d}"
            )
        ratio = result["app: API request →"]["p99"] / result["floor: group_send call →"]["p99"]
        print(f"{n:>4}  p99 app (request) / floor (call): {ratio:.2f}")


if __name__ == "__main__":
    main()
