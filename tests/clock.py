"""A controlled clock for the services: they read django.utils.timezone.now()."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    controlled = Clock(timezone.now().replace(microsecond=0))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: controlled.now):
        yield controlled
