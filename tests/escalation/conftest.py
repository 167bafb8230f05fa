from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest


class Clock:
    """A controlled clock for the services: `timezone.now()` answers `clock.now`."""

    def __init__(self, now: datetime):
        self.now = now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    controlled = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with mock.patch("django.utils.timezone.now", lambda: controlled.now):
        yield controlled
