"""A wall board through a long shift: the page's JS heap, DOM nodes and listeners over time.

    .venv/bin/python bench/board_heap.py                      # 30 minutes: heap at 0, 10, 30
    .venv/bin/python bench/board_heap.py --minutes 10 --every 2 --at 0 5 10

Starts Daphne on the Redis channel layer (DATABASE_URL default: PostgreSQL database
id_board_heap, created and migrated; REDIS_URL default: Redis db 4), logs 150 P1s under a
policy that reminds every 5 minutes without end (tests/e2e/board_load.py), opens the wall
board in Chromium, and every `--every` seconds runs the escalation sweep on a clock that
jumps 5 minutes whenever nothing is due: reminders on all 150 come in bursts, as a real
sweep sends them, faster than real time. At each `--at` minute it prints, after a full
garbage collection (DevTools protocol): JS heap used, DOM nodes, listeners, AudioContexts
made, events fired so far, and the load average (the machine may be shared).
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_board_heap")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ.setdefault("CHANNELS_PREFIX", "bench-heap")
os.environ["HTTPS"] = "false"  # plain HTTP on loopback: cookies must not be Secure-only
os.environ["DJANGO_SETTINGS_MODULE"] = "incidentdesk.settings"
os.environ["LOG_LEVEL"] = "WARNING"
# The ORM runs beside Playwright's event loop here; the sweeps run in a worker thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from board_fanout import ensure_database, free_port, start_daphne  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, COUNT_AUDIO  # noqa: E402

INCIDENTS = 150


def prepare():
    import django

    django.setup()
    from django.core.management import call_command

    from incidents.models import Incident
    from tests.e2e.board_load import escalating_incidents

    call_command("migrate", verbosity=0)
    # Each run starts alike: the last run's fires are out of the way.
    Incident.objects.exclude(status__in=["closed", "cancelled"]).update(status="cancelled")
    _fires, started = escalating_incidents(INCIDENTS)
    return started


def load() -> str:
    return "load average: " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--every", type=float, default=3, help="seconds between sweeps")
    parser.add_argument("--at", type=float, nargs="+", default=[0, 10, 30], help="minutes")
    args = parser.parse_args()
    ensure_database()
    started = prepare()

    from playwright.sync_api import sync_playwright

    from tests.e2e.board_load import Reminders, heap_metrics

    reminders = Reminders(started)
    # The services publish through async_to_sync, which refuses to run beside Playwright's
    # loop: every sweep runs in this one worker thread.
    worker = ThreadPoolExecutor(1)
    port = free_port()
    daphne = start_daphne(port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(
                base_url=f"http://127.0.0.1:{port}", viewport={"width": 1920, "height": 1080}
            )
            page = context.new_page()
            page.add_init_script(COUNT_AUDIO)
            page.goto("/login/")
            page.fill("#id_username", "supervisor")
            page.fill("#id_password", "supervisor-demo-pass")
            page.keyboard.press("Enter")
            page.wait_for_url("**/incidents/")
            page.goto("/board/?wall=1")
            page.locator("#connection[data-state=live]").wait_for(timeout=30_000)
            page.locator("body").click()  # audio starts on a click, as on a real wall
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            begin = time.monotonic()
            fired = 0
            checkpoints = sorted(args.at)
            print(f"{INCIDENTS} escalating P1s on the wall board; a sweep every {args.every} s")
            while checkpoints:
                minute = (time.monotonic() - begin) / 60
                if minute >= checkpoints[0]:
                    checkpoints.pop(0)
                    metrics = heap_metrics(cdp)
                    contexts = page.evaluate("() => window.audioContextsMade")
                    print(
                        f"{minute:5.1f} min  heap {metrics['heap_mb']:6.2f} MB  "
                        f"nodes {metrics['nodes']:6d}  listeners {metrics['listeners']:3d}  "
                        f"audio contexts {contexts}  events {fired:6d}  | {load()}",
                        flush=True,
                    )
                    continue
                if minute >= args.minutes:
                    break
                tick = time.monotonic()
                fired += worker.submit(reminders.sweep).result()
                page.wait_for_timeout(max(0, args.every - (time.monotonic() - tick)) * 1000)
            browser.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
