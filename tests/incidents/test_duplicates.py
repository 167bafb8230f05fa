"""The duplicate search of the assist panel: the same rule on SQLite and PostgreSQL, and on
PostgreSQL a trigram-indexed read whose cost does not grow with the incidents logged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors
from incidents.models import Category
from tests.factories import log

pytestmark = pytest.mark.django_db


@pytest.fixture
def leak(reference_data):
    return Category.objects.get(slug="water-leak")


def _search(category, location):
    with CaptureQueriesContext(connection) as queries:
        found = selectors.likely_duplicates(category=category, location=location)
    return found, len(queries)


def test_a_typed_location_with_a_typo_finds_the_open_call_among_others(leak):
    first = log(location="Block B, 2nd floor kitchen")
    for n in range(12):
        log(location=f"Car park level {n}")

    found, _ = _search(leak, "Blok B 2nd floor kitchen")

    assert found == [first]


def test_part_of_a_location_finds_the_call_that_contains_it(leak):
    first = log(location="Riverside House, 3rd floor plant room")

    found, _ = _search(leak, "plant room")

    assert found == [first]


def test_other_categories_and_linked_calls_are_not_duplicates(leak):
    parent = log(location="Block B kitchen")
    log(location="Block B kitchen", parent=parent)
    log(location="Block B kitchen", category=Category.objects.get(slug="noise"))

    found, _ = _search(leak, "Block B kitchen")

    assert found == [parent]


def test_the_search_costs_one_query_however_many_calls_are_open(leak):
    log(location="Block B, 2nd floor kitchen")
    _, few = _search(leak, "Block B kitchen")
    for n in range(30):
        log(location=f"Unit {n}, Block B kitchen")

    found, many = _search(leak, "Block B kitchen")

    assert many == few == 1
    assert len(found) == 5
