"""The deployment settings read from the environment: Sentinel, PgBouncer, hashed static files.
Settings are read once per process, so each case loads them in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = """
import json
from django.conf import settings
print(json.dumps({
    "broker": settings.CELERY_BROKER_URL,
    "transport": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "hosts": settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"],
    "database": settings.DATABASES["default"],
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
}, default=str))
"""


def settings_with(**variables) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings",
        "SECRET_KEY": "settings-test",
        "DATABASE_URL": "postgres://app:pw@pgbouncer:6432/incidentdesk",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        **variables,
    }
    for name in ("REDIS_SENTINELS", "DATABASE_PGBOUNCER", "STATIC_MANIFEST"):
        if name not in variables:
            env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sentinels_configure_the_broker_and_the_channel_layer():
    loaded = settings_with(
        REDIS_SENTINELS="s0:26379,s1:26380",
        REDIS_SENTINEL_MASTER="incidents",
        REDIS_URL="redis://:secret@ignored:6379/3",
    )

    assert loaded["broker"] == "sentinel://s0:26379;sentinel://s1:26380"
    assert loaded["transport"]["master_name"] == "incidents"
    assert loaded["transport"]["db"] == 3
    assert loaded["transport"]["password"] == "secret"
    # the visibility timeout of the plain setup is kept
    assert loaded["transport"]["visibility_timeout"] == 120
    (host,) = loaded["hosts"]
    assert host["sentinels"] == [["s0", 26379], ["s1", 26380]]
    assert host["master_name"] == "incidents"
    assert host["db"] == 3
    assert host["password"] == "secret"
    assert "address" not in host


def test_without_sentinels_redis_url_is_used_as_it_is():
    loaded = settings_with()

    assert loaded["broker"] == "redis://127.0.0.1:6379/0"
    assert "master_name" not in loaded["transport"]


def test_pgbouncer_turns_off_server_side_cursors_and_prepared_statements():
    loaded = settings_with(DATABASE_PGBOUNCER="true")

    assert loaded["database"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert loaded["database"]["OPTIONS"]["prepare_threshold"] is None
    assert loaded["database"]["CONN_HEALTH_CHECKS"] is True


def test_without_pgbouncer_server_side_cursors_stay_on():
    # Django's default (False) applies: the settings leave the key out
    assert "DISABLE_SERVER_SIDE_CURSORS" not in settings_with()["database"]


def test_static_manifest_serves_hashed_compressed_files():
    loaded = settings_with(STATIC_MANIFEST="true")

    assert loaded["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    plain = settings_with()["staticfiles"]
    assert plain == "django.contrib.staticfiles.storage.StaticFilesStorage"
