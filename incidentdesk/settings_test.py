"""Test settings: the base settings, with an embedded Redis when REDIS_URL is not set."""

import os

EMBEDDED_REDIS = not os.environ.get("REDIS_URL")
if EMBEDDED_REDIS:
    from incidentdesk import embedded_redis

    # Exported so the Daphne and Celery processes the tests start use the same server.
    os.environ["REDIS_URL"] = embedded_redis.start_for_process()

os.environ.setdefault("SECRET_KEY", "test-secret-key")
# Tests keep mail in memory (EMAIL_BACKEND below); the production check on EMAIL_URL is
# tested on its own (tests/test_settings.py).
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")
# One prefix per test run, shared with the servers it starts, so parallel runs never meet.
os.environ.setdefault("CHANNELS_PREFIX", f"test-{os.getpid()}")

from incidentdesk.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests serve static files from the app folders (finders); there is no collectstatic output.
STATIC_ROOT = None

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so the Daphne process of the browser tests can open it too.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".run" / "test-db.sqlite3")}  # noqa: F405
    (BASE_DIR / ".run").mkdir(exist_ok=True)  # noqa: F405
# The browser tests' server process points at the test database its parent created.
if os.environ.get("E2E_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["E2E_DATABASE_NAME"]  # noqa: F405
# Delivery retries in tests wait tenths of a second, not minutes.
MESSAGE_DELIVERY_BACKOFF = 0.2
MESSAGE_DELIVERY_MAX_RETRIES = 2
DISPATCH_WEBHOOK_TIMEOUT = 3.0
# The test client and the browser tests' Daphne speak plain HTTP; HTTPS stays on otherwise
# (secure cookies, HSTS), and tests/security/test_headers.py checks the redirect in a
# production process.
SECURE_SSL_REDIRECT = False
AXES_VERBOSE = False
