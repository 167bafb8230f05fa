"""docker-compose.yml cannot be run here (no Docker engine): read it and check what it says."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_stack_has_every_process_of_the_production_like_run():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_there_is_exactly_one_beat_and_the_worker_and_beat_use_the_project_celery_app():
    beats = [name for name, s in SERVICES.items() if "beat" in (s.get("command") or [])]
    assert beats == ["beat"]
    for name in ("worker", "beat"):
        assert SERVICES[name]["command"][:3] == ["celery", "-A", "incidentdesk"]


def test_the_app_processes_wait_for_the_migrations():
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_every_variable_the_stack_sets_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    variables = SERVICES["web"]["environment"]
    undocumented = [name for name in variables if f"`{name}`" not in readme]
    assert not undocumented
