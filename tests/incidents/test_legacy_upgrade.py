"""A database written by the previous version (demo data and a full incident journey, made
by tests/fixtures/make_legacy_v1.py on commit be424d8) migrates forward, keeps its rows,
and every old timeline event validates against the catalogue and reads as words."""

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "legacy_v1.json"
# Rows that must come through the move of models between apps, as the old version wrote them.
SURVIVE = {
    "incidents.incidentevent": 69,
    "incidents.slatimer": 21,
    "customer_care.customerupdate": 4,
    "customer_care.resolution": 5,
    "customer_care.closure": 5,
    "customer_care.satisfactionlink": 4,
    "customer_care.satisfaction": 1,
    "escalation.escalationevent": 18,
    "dispatch.dispatch": 2,
    # 6 dispatch messages, the emailed customer update and the 4 survey links, in the outbox.
    "messaging.message": 11,
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scratch_database_url(tmp_path_factory):
    """An empty database of the same engine as the test run's, dropped afterwards."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('legacy') / 'legacy.sqlite3'}"
        return
    import psycopg

    name = f"legacy_{uuid.uuid4().hex[:12]}"
    server = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"])
    admin = dict(dbname="postgres", autocommit=True, password=db["PASSWORD"], **server)
    with psycopg.connect(**admin) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        auth = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"]
        yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(**admin) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def upgraded(scratch_database_url):
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url,
        "DEBUG": "true",
        "SECRET_KEY": "legacy-upgrade-test",
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings",
    }
    done = subprocess.run(
        [sys.executable, "tests/legacy_upgrade.py", str(FIXTURE), *SURVIVE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_row_survives_the_move_between_apps(upgraded):
    assert upgraded["counts"] == SURVIVE


def test_every_old_event_kind_is_in_the_journey(upgraded):
    from incidents.models import EventKind

    legacy_kinds = {
        "logged", "updated", "details_confirmed", "status_changed", "reprioritised", "linked",
        "unlinked", "child_linked", "child_unlinked", "customer_updated",
        "customer_update_queued", "customer_update_failed", "resolved", "closed",
        "closed_without_confirmation", "reopened", "satisfaction_recorded",
        "satisfaction_link_sent", "resource_dispatched", "dispatch_progress",
        "resource_recalled", "briefing_confirmed", "message_delivery", "broadcast_sent",
        "escalation_fired", "escalation_acknowledged", "escalated_manually",
        "policy_reapplied", "incident_acknowledged",
    }  # fmt: skip
    assert legacy_kinds <= set(EventKind.values)
    assert set(Counter(e["kind"] for e in upgraded["events"])) == legacy_kinds


def test_every_old_event_reads_as_words_without_english_in_its_data(upgraded):
    for event in upgraded["events"]:
        assert event["text"].strip(), event
        assert "text" not in event["data"], event
