"""Board fan-out: delay from the API's answer to every board receiving the event, and the floor.

    .venv/bin/python bench/board_fanout.py            # N = 200 and 1,000, one Daphne
    .venv/bin/python bench/board_fanout.py --clients 200 --count 20 --burst 10 --idle 10
    .venv/bin/python bench/board_fanout.py --servers 2 # the sockets spread over 2 Daphnes

Starts Daphne on the Redis channel layer (DATABASE_URL default: PostgreSQL database
id_board_bench, created and migrated; REDIS_URL default: Redis db 4), connects N
authenticated board WebSockets (one supervisor's session; with --servers 2, alternately to
two Daphne processes sharing the layer), logs incidents through the REST API (token auth)
in bursts at a steady rate, idle for --idle seconds between bursts (longer than
channels_redis's 5 s blocking read, so a Redis read timeout would drop sockets), and times,
per client, API response → event received. The floor, in the same run and to the same N
clients, on the schedule the app's requests had: a bare channels_redis group_send of a
payload of the same size from this process, timed group_send return → received (Daphne
and the consumer still forward it: what the app adds is Django, the database and publish).
After the run every client resyncs over its socket like a real board (from the last event
it applied in order, prev_id → id), and the lost deliveries are counted before and after
that resync.
"""

import argparse
import asyncio
import json
import os
import random
import resource
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
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
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
        stderr=open(ROOT / ".run" / f"bench-daphne-{port}.log", "w"),  # noqa: SIM115
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


def raise_file_limit(sockets: int) -> None:
    """Each socket is a descriptor here and one in Daphne (inherited limit): 1,000 boards
    need more than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets * 2 + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        if ceiling < wanted:
            print(f"File limit {ceiling} (hard): fewer than {wanted} descriptors", flush=True)


class Board:
    """One board client: what it received live, and its cursor, as the board page keeps
    it: the last event applied in order (an event applies when its prev_id is the cursor)."""

    def __init__(self, ws, cursor: int):
        self.ws = ws
        self.cursor = cursor
        self.pending: dict[int, int] = {}  # prev_id → id, events that came out of order
        self.live: set[str] = set()
        self.recovered: set[str] = set()
        self.resynced = asyncio.get_running_loop().create_future()

    def apply(self, message: dict) -> None:
        if message.get("prev_id") is None or message.get("id") is None:
            return
        self.pending[message["prev_id"]] = message["id"]
        while self.cursor in self.pending:
            self.cursor = self.pending.pop(self.cursor)


class Clients:
    def __init__(self):
        self.received: dict[str, list[float]] = {}
        self.boards: list[Board] = []
        self.tasks = []
        self.retries = 0  # handshakes dropped by the server and tried again

    async def connect(self, ports: list[int], n: int, cookie: str, cursor: int) -> None:
        sockets = []
        for i in range(0, n, 50):  # in batches, as boards reconnect in practice
            batch = [
                self._open(port, cookie)
                for port in (ports[(i + k) % len(ports)] for k in range(min(50, n - i)))
            ]
            sockets += await asyncio.gather(*batch)
        self.boards = [Board(ws, cursor) for ws in sockets]
        self.tasks = [asyncio.create_task(self._read(board)) for board in self.boards]

    async def _open(self, port: int, cookie: str):
        """Like a board: a handshake the busy server drops is retried after a backoff."""
        for attempt in range(6):
            try:
                return await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/board/",
                    additional_headers={"Cookie": f"sessionid={cookie}"},
                    origin=f"http://127.0.0.1:{port}",
                    max_queue=None,
                    open_timeout=60,
                )
            except (OSError, websockets.InvalidHandshake):
                if attempt == 5:
                    raise
                self.retries += 1
                await asyncio.sleep(0.5 * 2**attempt * random.uniform(0.5, 1.5))

    async def _read(self, board: Board) -> None:
        try:
            async for raw in board.ws:
                now = time.perf_counter()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "event":
                    if message.get("kind") == "logged":
                        self.received.setdefault(message["reference"], []).append(now)
                        board.live.add(message["reference"])
                    board.apply(message)
                elif kind == "resync" and not board.resynced.done():
                    board.resynced.set_result(message)
        except websockets.ConnectionClosed as closed:
            if not board.resynced.done():
                board.resynced.set_exception(closed)

    async def resync(self, timeout: float) -> tuple[float, int]:
        """Every board asks for what it missed after its cursor; (seconds, boards that
        got no answer)."""
        started = time.perf_counter()
        for board in self.boards:
            await board.ws.send(json.dumps({"type": "resync", "after": board.cursor}))
        results = await asyncio.wait_for(
            asyncio.gather(*(b.resynced for b in self.boards), return_exceptions=True),
            timeout,
        )
        unanswered = 0
        for board, answer in zip(self.boards, results, strict=True):
            if isinstance(answer, BaseException):
                unanswered += 1
            elif answer.get("reset"):
                board.recovered = {r["reference"] for r in answer["snapshot"]["rows"]}
            else:
                board.recovered = {
                    e["reference"] for e in answer["events"] if e.get("kind") == "logged"
                }
        return time.perf_counter() - started, unanswered

    async def close(self) -> None:
        await asyncio.gather(*(b.ws.close() for b in self.boards), return_exceptions=True)
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


async def bursts(count: int, burst: int, rate: float, idle: float, send) -> None:
    """`count` sends in bursts of `burst` at `rate` per second, `idle` seconds between."""
    for i in range(count):
        if i and i % burst == 0:
            await asyncio.sleep(idle)
        started = time.perf_counter()
        await send(i)
        await asyncio.sleep(max(0, 1 / rate - (time.perf_counter() - started)))


async def run_n(ports: list[int], n: int, cookie: str, token: str, args) -> tuple:
    from channels.layers import get_channel_layer

    cursor = await asyncio.to_thread(_last_event_id)
    clients = Clients()
    await clients.connect(ports, n, cookie, cursor)
    await asyncio.sleep(1)
    url = f"http://127.0.0.1:{ports[0]}/api/incidents/"

    app_sent: dict[str, float] = {}
    app_started: dict[str, float] = {}

    async def log_one(i: int) -> None:
        started = time.perf_counter()
        answered, reference = await asyncio.to_thread(post, url, token, body(i))
        app_sent[reference], app_started[reference] = answered, started

    await bursts(args.count, args.burst, args.rate, args.idle, log_one)
    await asyncio.sleep(3)
    app = figures(app_sent, clients.received, n)
    app_from_request = figures(app_started, clients.received, n)
    sample = await asyncio.to_thread(_sample_message, next(iter(app_sent)))

    layer = get_channel_layer()
    floor_sent: dict[str, float] = {}
    floor_started: dict[str, float] = {}

    async def send_one(i: int) -> None:
        started = time.perf_counter()
        reference = f"FLOOR-{n}-{i}"
        # Not in the boards' prev_id chain (prev_id None): the resync does not count it.
        event = {**sample, "reference": reference, "prev_id": None}
        await layer.group_send("board", {"type": "incident.event", "event": event})
        floor_sent[reference], floor_started[reference] = time.perf_counter(), started

    # The same schedule as the app's requests (which pace themselves when the server is
    # busy), so the floor's fan-out runs at the rate the app's did, not faster.
    offsets = sorted(app_started.values())
    offsets = [at - offsets[0] for at in offsets]
    floor_zero = time.perf_counter()
    for i, offset in enumerate(offsets):
        await asyncio.sleep(max(0, floor_zero + offset - time.perf_counter()))
        await send_one(i)
    await asyncio.sleep(3)
    floor = figures(floor_sent, clients.received, n)
    floor_from_call = figures(floor_started, clients.received, n)

    resync_seconds, unanswered = await clients.resync(timeout=120)
    after_resync = sum(
        len(set(app_sent) - (board.live | board.recovered)) for board in clients.boards
    )
    await clients.close()
    await layer.close_pools()
    return {
        "app: API response →": app,
        "app: API request →": app_from_request,
        "floor: group_send return →": floor,
        "floor: group_send call →": floor_from_call,
    }, {
        "lost": after_resync,
        "seconds": resync_seconds,
        "unanswered": unanswered,
        "retries": clients.retries,
    }


def _last_event_id() -> int:
    from incidents.models import IncidentEvent

    last = IncidentEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


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
    parser.add_argument("--clients", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--count", type=int, default=40, help="incidents per N")
    parser.add_argument("--burst", type=int, default=10, help="incidents per burst")
    parser.add_argument("--idle", type=float, default=10, help="seconds between bursts")
    parser.add_argument("--rate", type=float, default=5, help="incidents per second")
    parser.add_argument("--servers", type=int, choices=[1, 2], default=1, help="Daphnes")
    args = parser.parse_args()
    raise_file_limit(max(args.clients))
    ensure_database()
    cookie, token = prepare()
    ports = [free_port() for _ in range(args.servers)]
    servers = [start_daphne(port) for port in ports]
    print(
        f"{args.count} incidents per N in bursts of {args.burst} at {args.rate}/s, "
        f"{args.idle:g} s idle between bursts, {args.servers} Daphne process(es); ms until"
        " each client received it. The app publishes on commit, before it answers, so 'API"
        " response →' can be negative; 'API request →' (the whole request) is compared with"
        " 'group_send call →'. 'lost' counts deliveries (incident × client) missing live;"
        " after the resync, what is still missing once every board resynced from its cursor.",
        flush=True,
    )
    try:
        for n in args.clients:
            print(f"\nN={n}…", flush=True)
            report(n, *asyncio.run(run_n(ports, n, cookie, token, args)))
    finally:
        for daphne in servers:
            daphne.terminate()
        for daphne in servers:
            try:
                daphne.wait(30)
            except subprocess.TimeoutExpired:
                daphne.kill()


def report(n: int, result: dict, resync: dict) -> None:
    """Printed as soon as N is done, so a later failure keeps it."""
    print(f"{'N':>4}  {'from':28} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'lost':>5}")
    for name, f in result.items():
        print(
            f"{n:>4}  {name:28} {f['p50']:7.1f} {f['p95']:7.1f} {f['p99']:7.1f} "
            f"{f['max']:7.1f} {f['lost']:5d}"
        )
    ratio = result["app: API request →"]["p99"] / result["floor: group_send call →"]["p99"]
    print(f"{n:>4}  p99 app (request) / floor (call): {ratio:.2f}")
    print(
        f"{n:>4}  after resync: {resync['lost']} lost; {resync['unanswered']} boards got no"
        f" answer; all {n} resyncs answered in {resync['seconds']:.1f} s;"
        f" {resync['retries']} handshakes retried while connecting",
        flush=True,
    )


if __name__ == "__main__":
    main()
