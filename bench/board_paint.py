"""The board page's first paint with every row, in Chromium, beside a floor.

    .venv/bin/python bench/board_paint.py                 # 1,000 open incidents, 5 loads
    .venv/bin/python bench/board_paint.py --size 1000 --runs 10

Seeds the board benchmark's database (bench/board_snapshot.py: DATABASE_URL default
id_board_snapshot_bench; that many open incidents, 200 active dispatches, 100 waiting
alerts), starts Daphne, signs a supervisor in, and loads /board/ in Chromium at 1920x1080
`--runs` times: from navigation start (the page's own performance clock) to the frame after
the last incident row is in the table. The floor, in the same run: Chromium loading the
same snapshot as a bare JSON document (/api/board/: the server's work and the transfer,
no JavaScript or layout).
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/id_board_snapshot_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")  # a benchmark sends no real email
os.environ.setdefault("CHANNELS_PREFIX", "bench-paint")
os.environ["HTTPS"] = "false"  # plain HTTP on loopback: cookies must not be Secure-only
os.environ["DJANGO_SETTINGS_MODULE"] = "incidentdesk.settings"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM beside Playwright's loop

from board_fanout import ensure_database, free_port, start_daphne  # noqa: E402
from board_snapshot import seed_board  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# Resolves once every open incident has its row, one frame later (painted).
ALL_ROWS = """(expected) => new Promise((done) => {
  const check = () => {
    if (document.querySelectorAll("#rows tr.incident").length >= expected) {
      requestAnimationFrame(() => done(performance.now()));
    } else {
      requestAnimationFrame(check);
    }
  };
  check();
})"""


def session_cookie(user, port: int) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "url": f"http://127.0.0.1:{port}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    call_command("migrate", verbosity=0)
    user = seed_board(args.size)
    port = free_port()
    daphne = start_daphne(port)
    paints, floors = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(
                base_url=f"http://127.0.0.1:{port}", viewport={"width": 1920, "height": 1080}
            )
            context.add_cookies([session_cookie(user, port)])
            page = context.new_page()
            for run in range(args.runs + 1):  # the first load warms caches and is not counted
                page.goto("/board/", wait_until="commit")
                painted = page.evaluate(ALL_ROWS, args.size)
                page.goto("/api/board/", wait_until="load")
                floor = page.evaluate(
                    "() => performance.getEntriesByType('navigation')[0].loadEventEnd"
                )
                if run:
                    paints.append(painted)
                    floors.append(floor)
            browser.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"{args.size} open incidents, {args.runs} loads at 1920x1080 (load average {load})")
    print(
        f"  board page, every row painted: p50 {statistics.median(paints):6.0f} ms"
        f"  max {max(paints):6.0f} ms   (goal ≤ 1000 ms)"
    )
    print(
        f"  floor, the snapshot as bare JSON: p50 {statistics.median(floors):6.0f} ms"
        f"  max {max(floors):6.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
