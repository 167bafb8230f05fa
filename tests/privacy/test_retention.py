"""Retention: closed incidents past their period lose their caller; nothing else does."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from incidentdesk.celery import app
from incidents.models import Incident, IncidentEvent
from privacy import services, tasks
from tests.factories import close, log, resolve
from tests.privacy.history import OMAR, RUTH

pytestmark = pytest.mark.django_db


def closed_incident(caller, *, months_ago: float, **details) -> Incident:
    incident = log(caller_name=caller.name, caller_phone=caller.phone, **details)
    resolve(incident)
    close(incident, confirmed_by=caller.name)
    age(incident, months_ago)
    return incident


def age(incident: Incident, months: float) -> None:
    """Move the whole history back in time (test set-up only: services never edit events)."""
    shift = timedelta(days=30 * months)
    for event in IncidentEvent.objects.filter(incident=incident):
        IncidentEvent.objects.filter(pk=event.pk).update(at=event.at - shift)


@pytest.fixture
def retention(settings):
    settings.RETENTION_CALLER_MONTHS = 24
    settings.RETENTION_MONTHS = {"incident": 24, "service_request": 6, "query": 24}


def test_only_closed_incidents_past_their_period_are_anonymised(reference_data, retention):
    due = closed_incident(RUTH, months_ago=25)
    recent = closed_incident(OMAR, months_ago=23)
    old_but_open = log(caller_name=RUTH.name, caller_phone=RUTH.phone)
    age(old_but_open, 30)
    short_period = closed_incident(OMAR, months_ago=7, record_type="service_request")

    done = services.anonymise_due()

    assert done == [due.reference, short_period.reference]
    assert Incident.objects.get(pk=due.pk).caller_phone == ""
    assert Incident.objects.get(pk=short_period.pk).caller_name == "[erased]"
    assert Incident.objects.get(pk=recent.pk).caller_name == OMAR.name
    assert Incident.objects.get(pk=old_but_open.pk).caller_name == RUTH.name
    event = IncidentEvent.objects.get(incident=due, kind="caller_redacted")
    assert event.actor is None and event.data["because"] == "retention"


def test_an_anonymised_incident_is_not_done_again(reference_data, retention):
    closed_incident(RUTH, months_ago=25)
    services.anonymise_due()

    assert services.anonymise_due() == []
    assert IncidentEvent.objects.filter(kind="caller_redacted").count() == 1


def test_dry_run_prints_what_is_due_and_changes_nothing(reference_data, retention):
    due = closed_incident(RUTH, months_ago=25)
    closed_incident(OMAR, months_ago=1)
    out = StringIO()

    call_command("anonymise_due", "--dry-run", stdout=out)

    assert out.getvalue().splitlines()[0].startswith(f"{due.reference} Incident, closed")
    assert "1 incident(s) would be anonymised (dry run)." in out.getvalue()
    assert Incident.objects.get(pk=due.pk).caller_name == RUTH.name


def test_the_command_without_dry_run_anonymises(reference_data, retention):
    due = closed_incident(RUTH, months_ago=25)
    out = StringIO()

    call_command("anonymise_due", stdout=out)

    assert f"{due.reference} anonymised" in out.getvalue()
    assert Incident.objects.get(pk=due.pk).caller_name == "[erased]"


def test_the_task_is_named_and_scheduled_daily(reference_data, retention):
    due = closed_incident(RUTH, months_ago=25)

    assert tasks.anonymise_due.name == "privacy.anonymise_due"
    assert "privacy.anonymise_due" in app.tasks
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-anonymise-due"]
    assert entry["task"] == "privacy.anonymise_due" and entry["schedule"] == 86400
    assert tasks.anonymise_due.apply().get() == [due.reference]
