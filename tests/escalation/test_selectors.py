"""Reads for the board: a fixed number of queries however many escalations wait."""

import pytest

from escalation import selectors
from escalation.models import Trigger
from incidents.models import ImpactLevel, UrgencyLevel
from tests.factories import escalation_policy, log

pytestmark = pytest.mark.django_db


def log_p1s(count: int):
    impact, urgency = ImpactLevel.objects.get(rank=1), UrgencyLevel.objects.get(rank=1)
    return [log(impact=impact, urgency=urgency, summary=f"Fire {n}") for n in range(count)]


@pytest.fixture
def policy(reference_data):
    return escalation_policy({"trigger": Trigger.P1_LOGGED, "requires_ack": True})


@pytest.mark.parametrize("count", [1, 6])
def test_unacknowledged_escalations_cost_one_query(policy, count, django_assert_num_queries):
    log_p1s(count)

    with django_assert_num_queries(1):
        rows = [selectors.alert_row(e) for e in selectors.unacknowledged_escalations()]

    assert len(rows) == count


def test_open_alerts_are_grouped_by_incident_for_board_rows(policy, django_assert_num_queries):
    first, second, _other = log_p1s(3)

    with django_assert_num_queries(1):
        alerts = selectors.open_alerts([first.pk, second.pk])

    assert set(alerts) == {first.pk, second.pk}
    assert alerts[first.pk][0]["reference"] == first.reference
    assert alerts[first.pk][0]["needs_ack"] is True
