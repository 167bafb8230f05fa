"""Reference data over the API (matrix, categories, priorities) and the OpenAPI schema."""

import pytest
from django.core.management import call_command

from incidents import demo
from incidents.models import Category
from tests.factories import agent
from tests.incidents.api_support import INCIDENTS, client_for, new_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(reference_data):
    return client_for(agent())


def test_priority_matrix_lists_levels_priorities_and_every_cell(api):
    response = api.get("/api/priority-matrix/")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert [(level["rank"], level["name"]) for level in body["impacts"]] == [
        (rank, name) for rank, name, _ in demo.IMPACTS
    ]
    assert body["urgencies"][0]["criteria"] == demo.URGENCIES[0][2]
    assert [p["code"] for p in body["priorities"]] == ["P1", "P2", "P3", "P4", "P5"]
    cells = {(c["impact"], c["urgency"]): c["priority"] for c in body["cells"]}
    assert cells == {(i, u): demo.MATRIX[i - 1][u - 1] for i in (1, 2, 3) for u in (1, 2, 3)}


def test_priority_targets_are_given_in_seconds_and_iso_8601(api):
    p1 = api.get("/api/priorities/").json()[0]

    assert p1["code"] == "P1"
    assert p1["colour"] == "#c62828"
    assert p1["response_target_seconds"] == 15 * 60
    assert p1["response_target"] == "P0DT00H15M00S"
    assert p1["resolution_target_seconds"] == 4 * 3600
    assert p1["update_interval"] == "P0DT00H30M00S"


def test_categories_lists_the_active_ones_with_their_guidance(api):
    Category.objects.filter(slug="noise").update(active=False)

    response = api.get("/api/categories/")

    assert response.status_code == 200
    by_slug = {c["slug"]: c for c in response.json()}
    assert "noise" not in by_slug
    assert len(by_slug) == len(demo.CATEGORIES) - 1
    lift = by_slug["lift-entrapment"]
    assert lift["questions"][0] == "How many people are trapped?"
    assert lift["checklist"] == [
        "Keep the caller on the line if they are trapped",
        "Note the lift asset number",
    ]
    assert lift["default_impact"] == 1


def test_an_inactive_category_cannot_be_used_for_a_new_incident(api):
    Category.objects.filter(slug="noise").update(active=False)

    response = api.post(INCIDENTS, new_call(category="noise"), format="json")

    assert response.status_code == 400
    assert response.json() == {"category": ["There is no active category “noise”."]}


def test_the_openapi_schema_is_served(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/incidents/{id}/reprioritise/" in paths
    assert "/api/priority-matrix/" in paths


def test_the_swagger_ui_is_served(client, reference_data):
    # A page for people: they open it logged in (tests/security/test_api_docs.py).
    client.force_login(agent())

    assert client.get("/api/docs/").status_code == 200


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    # given / when: what CI would run; --fail-on-warn turns any loose annotation into an error
    call_command(
        "spectacular", validate=True, fail_on_warn=True, file=str(tmp_path / "schema.yaml")
    )

    # then
    assert "/api/incidents/{id}/status/" in (tmp_path / "schema.yaml").read_text()
