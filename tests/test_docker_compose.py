"""docker-compose.yml cannot be run here (no Docker engine): read it and check what it says."""

import re
from pathlib import Path

import yaml

from incidentdesk.celery import app

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, s in SERVICES.items() if s.get("image") == "incidentdesk:latest"]
LONG_RUNNING = [name for name in APP_SERVICES if name != "migrate"]
WORKERS = {
    "worker-escalation": "escalation",
    "worker-delivery": "delivery",
    "worker-housekeeping": "housekeeping",
}


def command(name: str) -> list[str]:
    return SERVICES[name]["command"]


def test_the_stack_has_every_process_of_the_scaled_run():
    assert set(SERVICES) == {
        "proxy",
        "web",
        "ws",
        "worker-escalation",
        "worker-delivery",
        "worker-housekeeping",
        "beat",
        "migrate",
        "postgres",
        "redis",
    }
    assert set(APP_SERVICES) == set(SERVICES) - {"proxy", "postgres", "redis"}


def test_http_runs_on_gunicorn_processes_and_websockets_on_daphne():
    assert command("web") == [
        "gunicorn",
        "-c",
        "python:incidentdesk.gunicorn_conf",
        "incidentdesk.wsgi",
    ]
    assert command("ws")[0] == "daphne"
    assert "--proxy-headers" in command("ws")
    assert command("ws")[-1] == "incidentdesk.asgi:application"
    assert command("migrate") == ["python", "manage.py", "migrate", "--noinput"]


def test_each_queue_has_its_own_worker_and_every_declared_queue_is_consumed():
    for name, queue in WORKERS.items():
        args = command(name)
        assert args[:4] == ["celery", "-A", "incidentdesk", "worker"]
        assert args[args.index("-Q") + 1] == queue
        assert args[args.index("-n") + 1] == f"{queue}@%h"
    assert set(WORKERS.values()) == {q.name for q in app.conf.task_queues}


def test_there_is_exactly_one_beat():
    beats = [name for name in APP_SERVICES if "beat" in command(name)]
    assert beats == ["beat"]
    assert command("beat")[:4] == ["celery", "-A", "incidentdesk", "beat"]
    assert "deploy" not in SERVICES["beat"]  # no replicas setting


def test_the_proxy_sends_websockets_to_ws_and_everything_else_to_web():
    conf = (ROOT / "deploy" / "nginx" / "default.conf").read_text()
    volume = SERVICES["proxy"]["volumes"][0]
    assert volume.startswith("./deploy/nginx/default.conf:/etc/nginx/conf.d/default.conf")
    assert re.search(r"upstream ws \{[^}]*server ws:8001 resolve;", conf)
    assert re.search(r"upstream web \{[^}]*server web:8000 resolve;", conf)
    assert re.search(r"location /ws/ \{\s*proxy_pass http://ws;", conf)
    assert re.search(r"location / \{\s*proxy_pass http://web;", conf)
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    # readiness and metrics are not served to the outside
    assert "location = /readyz  { return 404; }" in conf
    assert "location = /metrics { return 404; }" in conf


def healthcheck(name: str) -> str:
    return " ".join(SERVICES[name]["healthcheck"]["test"])


def test_every_long_running_service_has_a_healthcheck_that_tests_what_it_does():
    assert "http://127.0.0.1:8000/readyz" in healthcheck("web")
    assert "http://127.0.0.1:8001/readyz" in healthcheck("ws")
    assert "http://127.0.0.1/healthz" in healthcheck("proxy")
    for name, queue in WORKERS.items():
        # $$ is compose's escape: the shell in the container expands $HOSTNAME
        assert f"inspect ping -d {queue}@$$HOSTNAME" in healthcheck(name)
    assert "inspect ping -d celerybeat@$$HOSTNAME" in healthcheck("beat")
    assert "pg_isready" in healthcheck("postgres")
    assert "redis-cli ping" in healthcheck("redis")
    assert {n for n in SERVICES if "healthcheck" in SERVICES[n]} == set(SERVICES) - {"migrate"}


def test_the_app_processes_wait_for_the_migrations_and_healthy_services():
    for name in LONG_RUNNING:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"] == {"condition": "service_healthy"}
        assert depends["redis"] == {"condition": "service_healthy"}
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["proxy"]["depends_on"] == {
        "web": {"condition": "service_healthy"},
        "ws": {"condition": "service_healthy"},
    }


def test_only_the_proxy_publishes_a_port():
    assert [name for name, s in SERVICES.items() if "ports" in s] == ["proxy"]


def test_every_variable_the_stack_sets_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    variables = {v for name in APP_SERVICES for v in SERVICES[name].get("environment", {})}
    undocumented = sorted(name for name in variables if f"`{name}`" not in readme)
    assert not undocumented
