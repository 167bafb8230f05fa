"""Recommendation ranking, channel rules and the board's resource reads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch import selectors, services
from dispatch.demo import install_channel_rules
from incidents.models import Category, ImpactLevel, UrgencyLevel
from tests.factories import log, resource, send, supervisor

pytestmark = pytest.mark.django_db

BLOCK_B = ("51.504000", "-0.128800")


@pytest.fixture
def incident(reference_data):
    return log(latitude=BLOCK_B[0], longitude=BLOCK_B[1])


def ranked(incident):
    return [r.resource.call_sign for r in selectors.recommend(incident)]


def test_the_nearest_comes_first_when_both_positions_are_known(incident):
    resource("FAR", position=("51.510000", "-0.128800"))
    resource("NEAR", position=("51.504100", "-0.128800"))

    assert ranked(incident) == ["NEAR", "FAR"]


def test_resources_without_a_position_follow_those_with_a_distance(incident):
    resource("AAA-NOWHERE")
    resource("ZZZ-PLACED", position=("51.600000", "-0.128800"))

    recommendations = selectors.recommend(incident)

    assert [r.resource.call_sign for r in recommendations] == ["ZZZ-PLACED", "AAA-NOWHERE"]
    assert recommendations[1].reasons[0] == "position unknown: ranked after those with a distance"


def test_the_least_loaded_comes_first_at_the_same_distance(incident):
    busy = resource("BUSY", position=BLOCK_B)
    resource("FREE", position=BLOCK_B)
    earlier = send(log(summary="Earlier leak"), busy)
    services.progress_dispatch(dispatch_id=earlier.pk, step="on_scene", actor=supervisor())
    services.progress_dispatch(dispatch_id=earlier.pk, step="cleared", actor=supervisor())

    recommendations = selectors.recommend(incident)

    assert [r.resource.call_sign for r in recommendations] == ["FREE", "BUSY"]
    assert "1 job(s) in the last 8 h" in recommendations[1].reasons


def test_unverified_unskilled_and_unavailable_resources_are_not_recommended(incident):
    resource("OK")
    resource("UNVERIFIED", verified=False)
    resource("UNSKILLED", skills=["it-outage"])
    resource("OFF", status="off_duty")

    assert ranked(incident) == ["OK"]


def test_the_p1_rule_wins_over_the_categorys_default_rule(reference_data):
    install_channel_rules()
    p1_fire = log(
        category=Category.objects.get(slug="fire-smoke"),
        impact=ImpactLevel.objects.get(rank=1),
        urgency=UrgencyLevel.objects.get(rank=1),
    )
    p3_fire = log(
        category=Category.objects.get(slug="fire-smoke"),
        impact=ImpactLevel.objects.get(rank=2),
        urgency=UrgencyLevel.objects.get(rank=2),
    )

    assert selectors.channel_order(p1_fire) == ["radio", "phone"]
    assert selectors.channel_order(p3_fire) == ["radio", "phone", "sms"]


def test_the_preselected_channel_is_the_first_of_the_rule_the_resource_can_be_reached_on(
    incident,
):
    install_channel_rules()  # P2 water leak: radio → SMS → email
    resource("SMS-ONLY", contacts={"sms": "07700 900001", "phone": "07700 900002"})

    (only,) = selectors.recommend(incident)

    assert only.channel == "sms"


def test_the_resource_panel_is_one_query_for_any_number_of_resources(incident):
    for n in range(3):
        send(log(summary=f"Leak {n}"), resource(f"R{n}"))
    with CaptureQueriesContext(connection) as few:
        selectors.resource_panel()
    for n in range(3, 9):
        send(log(summary=f"Leak {n}"), resource(f"R{n}"))

    with CaptureQueriesContext(connection) as many:
        panel = selectors.resource_panel()

    assert len(many) == len(few) == 1
    assert len(panel) == 9
    assert all(row["incident"]["reference"].startswith("INC-") for row in panel)


def test_assigned_resources_lists_the_active_dispatches_of_each_incident(incident):
    plumber = resource("FAC-1")
    send(incident, plumber)
    quiet = log(summary="Nothing sent yet")

    assigned = selectors.assigned_resources([incident.pk, quiet.pk])

    assert [r["call_sign"] for r in assigned[incident.pk]] == ["FAC-1"]
    assert assigned[quiet.pk] == []


def test_the_haversine_distance_is_right_for_a_known_pair():
    # London (51.5074, -0.1278) to Paris (48.8566, 2.3522) is about 343.5 km
    assert selectors.haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, 0.01)
