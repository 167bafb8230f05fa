import os

import pytest

from incidents import demo


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}; redis: {os.environ.get('REDIS_URL')}"


@pytest.fixture
def reference_data(db):
    """The demo matrix (3 impacts × 3 urgencies → P1…P5), priorities and categories."""
    demo.install_reference_data()
