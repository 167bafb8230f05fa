#!/usr/bin/env python3
"""The project's commands, using only the standard library so they work on a bare Python.

    python3 dev.py run     # install, migrate, load demo data, start Daphne + worker + beat
    python3 dev.py test    # install, run the JS tests (Node) and pytest (extra args go to pytest)
    python3 dev.py lint    # ruff, the migrations check and the import contracts, as CI runs them

Each first makes sure .venv exists and holds what pyproject.toml asks for, then re-runs
itself inside it.
"""

import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
RUN_DIR = ROOT / ".run"
VENV_PYTHON = VENV / "bin" / "python"
INSTALL_STAMP = VENV / ".installed-pyproject-sha256"


def ensure_venv() -> None:
    """Create .venv and (re)install the project when pyproject.toml changed."""
    if not VENV_PYTHON.exists():
        print("Creating .venv …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if INSTALL_STAMP.exists() and INSTALL_STAMP.read_text() == digest:
        return
    print("Installing dependencies into .venv (first run takes a minute or two) …", flush=True)
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", ".[test]"], check=True, cwd=ROOT)
    INSTALL_STAMP.write_text(digest)


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=ROOT, env=env)


def secret_key() -> str:
    """One key per checkout, kept so logins survive a restart."""
    path = RUN_DIR / "secret_key"
    if not path.exists():
        RUN_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for_http(url: str, *, timeout: float, children: list) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit("A process stopped while starting; see its output above.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s.")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _interrupt(signum, frame):
    """SIGTERM stops the run like Ctrl+C does, so its cleanup always runs."""
    raise KeyboardInterrupt


def run() -> int:
    from incidentdesk import embedded_redis  # importable once inside the venv

    env = dict(os.environ)
    env.setdefault("SECRET_KEY", secret_key())
    # Plain http on loopback: secure-only cookies would make logging in impossible.
    env.setdefault("HTTPS", "false")
    # The demo prints its emails (survey links, escalations) instead of sending them.
    env.setdefault("ALLOW_CONSOLE_EMAIL", "true")
    port = int(env.get("PORT", "8000"))
    if not port_is_free(port):
        raise SystemExit(f"Port {port} is taken. Stop what uses it, or run with PORT=8001.")

    redis_process = None
    children: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if not env.get("REDIS_URL"):
            redis_process, env["REDIS_URL"] = embedded_redis.start()
            print(f"Embedded Redis on {env['REDIS_URL']}", flush=True)
        manage("migrate", "--noinput", env=env)
        manage("load_demo", env=env)
        RUN_DIR.mkdir(exist_ok=True)
        children.append(
            subprocess.Popen(
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
                env=env,
            )
        )
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "incidentdesk",
                    "worker",
                    "-B",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "INFO",
                    "-s",
                    str(RUN_DIR / "celerybeat-schedule"),
                ],
                cwd=ROOT,
                env=env,
            )
        )
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(f"{url}login/", timeout=60, children=children)
        print(
            f"\n  IncidentDesk is running at {url}\n"
            "  Logins: agent / agent-demo-pass, supervisor / supervisor-demo-pass, "
            "admin / admin-demo-pass\n"
            f"  API docs: {url}api/docs/   Admin: {url}admin/\n"
            "  Press Ctrl+C to stop everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process stopped; stopping the rest.", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not skip cleanup
        stop(children)
        if redis_process is not None:
            embedded_redis.stop(redis_process)


JS_TESTS = ROOT / "static" / "js" / "tests"


def test(args: list[str]) -> int:
    """The board's JavaScript state tests (Node's built-in runner, no npm), then pytest with
    `args`. A machine without Node fails here rather than skipping them."""
    node = shutil.which("node")
    if node is None:
        print("dev.py test: `node` (Node.js 20+) is needed for static/js/tests/.", file=sys.stderr)
        return 1
    if subprocess.run([node, "--test", str(JS_TESTS)], cwd=ROOT).returncode != 0:
        return 1
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT).returncode


def lint() -> int:
    # The migrations check needs no database server.
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": "sqlite://:memory:"}
    checks = [
        [sys.executable, "-m", "ruff", "check", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        # The dependency rule between the apps (contracts in pyproject.toml).
        [str(Path(sys.executable).with_name("lint-imports"))],
    ]
    failed = [c for c in checks if subprocess.run(c, cwd=ROOT, env=env).returncode != 0]
    return 1 if failed else 0


COMMANDS = {"run": lambda args: run(), "test": test, "lint": lambda args: lint()}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    if not in_venv():
        ensure_venv()
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
