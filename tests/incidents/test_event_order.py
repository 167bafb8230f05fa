"""Timeline events become visible in id order, so resuming "after the last id" loses none."""

import threading

import pytest
from django.db import connection, connections, transaction

from incidents import events
from incidents.models import EventKind, IncidentEvent
from tests.factories import log

pytestmark = pytest.mark.django_db(transaction=True)


def test_events_chain_to_the_event_committed_before_them(reference_data):
    first = log()
    before = IncidentEvent.objects.latest("id").pk

    with transaction.atomic():
        event = events.record(incident=first, kind=EventKind.DETAILS_CONFIRMED)
        chained = events._take_timeline_lock()

    assert before < event.pk
    assert chained == event.pk  # inside the transaction, its own insert is the latest


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one write transaction at a time"
)
def test_a_later_event_cannot_commit_before_an_earlier_one(reference_data):
    # given an incident and a cursor before the two events
    incident = log()
    cursor = IncidentEvent.objects.latest("id").pk
    first_recorded, release_first = threading.Event(), threading.Event()
    ids = {}

    def earlier():
        with transaction.atomic():
            ids["earlier"] = events.record(incident=incident, kind=EventKind.DETAILS_CONFIRMED).pk
            first_recorded.set()
            release_first.wait(10)  # a slow transaction: commits after the other tried
        connections.close_all()

    def later():
        with transaction.atomic():
            ids["later"] = events.record(incident=incident, kind=EventKind.DETAILS_CONFIRMED).pk
        connections.close_all()

    # when the earlier transaction holds its event uncommitted and a later one tries to commit
    slow = threading.Thread(target=earlier)
    slow.start()
    assert first_recorded.wait(10)
    fast = threading.Thread(target=later)
    fast.start()
    fast.join(0.5)

    # then the later one is still waiting: nothing after the cursor is visible yet
    assert fast.is_alive()
    assert not IncidentEvent.objects.filter(id__gt=cursor).exists()

    release_first.set()
    slow.join(10)
    fast.join(10)

    # and once both committed, a board resuming after the earlier one gets the later one,
    # and one that saw the later one had seen the earlier one already (lower id)
    assert ids["earlier"] < ids["later"]
    after = list(IncidentEvent.objects.filter(id__gt=cursor).values_list("id", flat=True))
    assert after == [ids["earlier"], ids["later"]]
