"""Two supervisors dispatch the same resource at the same moment, on real PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from dispatch.errors import ResourceBusy
from dispatch.models import Dispatch
from incidents import demo
from tests.factories import log, resource, send, supervisor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs on it)"
)
def test_exactly_one_of_two_concurrent_dispatches_wins_and_the_other_gets_a_conflict():
    # given one available plumber and two incidents, each with its own supervisor
    demo.install_reference_data()
    plumber = resource("FAC-1")
    first, second = log(summary="Leak one"), log(summary="Leak two", location="Block C")
    people = [supervisor(username="ann"), supervisor(username="bob")]
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def dispatch(incident, actor):
        try:
            start.wait(timeout=5)
            outcomes[actor.username] = send(incident, plumber, actor=actor)
        except ResourceBusy as busy:
            outcomes[actor.username] = busy
        finally:
            connections.close_all()  # each thread has its own connection

    # when both press Dispatch at once, in their own transactions
    threads = [
        threading.Thread(target=dispatch, args=(incident, actor))
        for incident, actor in zip([first, second], people, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    # then exactly one dispatch exists and the other supervisor was told who won
    wins = [o for o in outcomes.values() if isinstance(o, Dispatch)]
    losses = [o for o in outcomes.values() if isinstance(o, ResourceBusy)]
    assert len(wins) == 1
    assert len(losses) == 1
    assert Dispatch.objects.count() == 1
    winner = wins[0]
    assert f"dispatched to {winner.incident.reference} by {winner.dispatched_by}" in str(losses[0])
