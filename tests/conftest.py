import os

import pytest

from board import publisher
from incidents import demo

# Shared fixtures kept in their own modules.
pytest_plugins = ["tests.clock", "tests.receiver"]


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}; redis: {os.environ.get('REDIS_URL')}"


def pytest_sessionstart(session):
    """In CI the suite must run on the real services: refuse the embedded fallbacks loudly."""
    from django.conf import settings

    if os.environ.get("CI") != "true":
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if settings.EMBEDDED_REDIS:
        problems.append("REDIS_URL is not set (the embedded Redis would be used)")
    if problems:
        pytest.exit("CI=true but " + "; ".join(problems), returncode=3)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before any fixture is torn down: the board publisher's thread may still be reading a
    row that a transactional test's flush is about to truncate, and the two deadlock. Let
    it finish what the test committed first."""
    publisher.wait_until_sent()


@pytest.fixture
def reference_data(db):
    """The demo matrix (3 impacts × 3 urgencies → P1…P5), priorities and categories."""
    demo.install_reference_data()
