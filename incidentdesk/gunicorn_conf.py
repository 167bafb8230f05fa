"""gunicorn's settings for the HTTP processes (docker-compose's web, Kubernetes' web):

    gunicorn -c python:incidentdesk.gunicorn_conf incidentdesk.wsgi

WSGI on gthread workers, not ASGI: every view is synchronous, and Django's persistent
database connections (CONN_MAX_AGE) are for WSGI only ("when using ASGI, persistent
connections should be disabled"). WebSockets are Daphne's, in their own processes.
"""

import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_PROCESSES", "2"))
# Each thread holds at most one database connection: see the budget in docs/deployment.md.
threads = int(os.environ.get("WEB_THREADS", "4"))
# A request still running after this is stuck: its worker is replaced.
timeout = 60
graceful_timeout = 30
# Above nginx's upstream keepalive_timeout (60 s): nginx, not gunicorn, closes idle ones.
keepalive = 75
# Only the proxy reaches these processes; it sets X-Forwarded-For/-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# Replace workers now and then so a slow leak never grows into an outage.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "false").lower() == "true" else None
errorlog = "-"


def on_starting(server):
    """Start with an empty metrics folder: files of a previous run would add to the counts."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
