"""No input, however malformed, makes the API answer 500: it is refused with a 4xx."""

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident
from tests.factories import agent, log, supervisor
from tests.incidents.api_support import INCIDENTS, action_url, client_for, detail_url, new_call

pytestmark = pytest.mark.django_db

HUGE = "x" * 1_000_000


def short(value) -> str:
    """A readable test id, even for a megabyte of input."""
    return repr(value)[:50]


MALFORMED_FIELDS = [
    # wrong types
    {"summary": ["a list"]},
    {"summary": {"an": "object"}},
    {"caller_name": True},
    {"contact_channel": ["phone"]},
    {"record_type": "rumour"},
    {"details_confirmed": "maybe"},
    {"caller_email": "not-an-email"},
    # huge strings
    {"summary": HUGE},
    {"description": HUGE},
    {"location": HUGE},
    {"category": HUGE},
    {"caller_phone": HUGE},
    # unknown or odd lookups
    {"category": "volcano"},
    {"category": ["water-leak"]},
    {"category": {"slug": "water-leak"}},
    {"category": 12},
    {"impact": "high"},
    {"impact": 10**30},
    {"impact": -1},
    {"impact": 0},
    {"impact": True},
    {"impact": [1]},
    {"impact": 1.5},
    {"urgency": {"rank": 1}},
    {"urgency": HUGE},
    {"parent": "INC-999999"},
    {"parent": [1]},
    {"parent": 10**30},
    {"parent": -1},
    {"parent": True},
    {"parent": HUGE},
    # coordinates
    {"latitude": "NaN", "longitude": 0},
    {"latitude": "Infinity", "longitude": 0},
    {"latitude": "-inf", "longitude": 0},
    {"latitude": 91, "longitude": 0},
    {"latitude": 0, "longitude": -180.5},
    {"latitude": "1e400", "longitude": 0},
    {"latitude": 1e300, "longitude": 0},
    {"latitude": [51.5], "longitude": 0},
    {"latitude": True, "longitude": 0},
    {"latitude": 51.5},
    # lists
    {"asset_refs": "PIPE-1"},
    {"asset_refs": ["x" * 65]},
    {"asset_refs": ["A"] * 21},
    {"asset_refs": [1, {"a": 1}]},
    {"asset_refs": [None]},
    {"asset_refs": {"a": 1}},
    # dates
    {"received_at": "yesterday"},
    {"received_at": 123},
    {"received_at": "9999-12-31T23:59:59-14:00"},
    {"received_at": "0001-01-01T00:00:00+14:00"},
]


@pytest.fixture
def api(reference_data):
    return client_for(agent())


@pytest.mark.parametrize("bad", MALFORMED_FIELDS, ids=short)
def test_a_malformed_field_is_refused_with_400_naming_it(api, bad):
    response = api.post(INCIDENTS, new_call(**bad), format="json")

    assert response.status_code == 400
    assert set(bad) & set(response.json())
    assert not Incident.objects.exists()


MALFORMED_BODIES = [
    "[]",
    "[1, 2]",
    '"a string"',
    "42",
    "null",
    "",
    "{not json",
    '{"latitude": NaN, "longitude": 0}',
    '{"latitude": Infinity, "longitude": 0}',
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"summary":' + "[" * 900 + "]" * 900 + "}",
]


@pytest.mark.parametrize("raw", MALFORMED_BODIES, ids=short)
def test_a_malformed_body_is_refused_with_400(api, raw):
    response = api.post(INCIDENTS, raw, content_type="application/json")

    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_deeply_nested_body_with_an_idempotency_key_is_refused_with_400(api):
    raw = '{"summary":' + "[" * 900 + "]" * 900 + "}"

    response = api.post(
        INCIDENTS, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep"
    )

    assert response.status_code == 400


def test_invalid_utf8_is_refused_with_400(api):
    response = api.post(INCIDENTS, b'{"summary": "\xff\xfe"}', content_type="application/json")

    assert response.status_code == 400


def test_a_form_encoded_body_is_refused_with_415(api):
    response = api.post(INCIDENTS, {"summary": "x"})

    assert response.status_code == 415


@pytest.mark.parametrize(
    "body",
    [[], "text", {"version": "one"}, {"version": -1}, {"version": 10**20}, {"asset_refs": "A"}],
    ids=short,
)
def test_a_malformed_patch_is_refused_with_400(api, body):
    incident = log()

    response = api.patch(detail_url(incident), body, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400


@pytest.mark.parametrize("if_match", ["*", '"abc"', 'W/"', '"1", "2"', "9" * 40, '""'])
def test_a_malformed_if_match_is_refused_with_400(api, if_match):
    incident = log()

    response = api.patch(
        detail_url(incident), {"location": "Block C"}, format="json", HTTP_IF_MATCH=if_match
    )

    assert response.status_code == 400
    assert "If-Match" in response.json()


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("status", {}),
        ("status", {"status": "vanished"}),
        ("status", {"status": ["closed"]}),
        ("status", {"status": "cancelled", "reason": HUGE}),
        ("reprioritise", {"impact": 1}),
        ("reprioritise", {"impact": 9, "urgency": 1, "reason": "x"}),
        ("reprioritise", {"impact": None, "urgency": None, "reason": "x"}),
        ("link", {}),
        ("link", {"parent": ""}),
        ("link", {"parent": None}),
        ("link", {"parent": {"id": 1}}),
        ("unlink", {"reason": ["why"]}),
        ("confirm-details", []),
    ],
    ids=short,
)
def test_a_malformed_action_is_refused_with_400(reference_data, action, body):
    api = client_for(supervisor())
    incident = log()

    response = api.post(action_url(incident, action), body, format="json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"status": "on_fire"},
        {"status": ["logged", "x"]},
        {"open": "maybe"},
        {"q": HUGE[:1000]},
        {"priority": "P" * 50},
        {"category": "c" * 500},
    ],
    ids=short,
)
def test_malformed_list_filters_are_refused_with_400(api, params):
    response = api.get(INCIDENTS, params)

    assert response.status_code == 400


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": 10**6}, {"page": -1}])
def test_a_page_that_does_not_exist_is_404(api, params):
    assert api.get(INCIDENTS, params).status_code == 404


@pytest.mark.parametrize("page_size", ["abc", "-5", "0", str(10**30)])
def test_an_odd_page_size_falls_back_to_a_sane_page(api, page_size):
    assert api.get(INCIDENTS, {"page_size": page_size}).status_code == 200


def test_an_unauthenticated_malformed_body_is_401_not_500():
    response = APIClient().post(INCIDENTS, "{not json", content_type="application/json")

    assert response.status_code == 401
