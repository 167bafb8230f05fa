"""Erasure by anonymisation: no trace of the person anywhere, the KPIs exactly as they were."""

import json

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from core import phones
from core.errors import InvalidTransition
from customer_care.models import Satisfaction
from incidents.models import Incident, IncidentEvent, SlaTimer
from privacy import services
from privacy.selectors import Subject
from tests.factories import UserFactory, close, log
from tests.privacy.history import OMAR, RUTH, full_history

pytestmark = pytest.mark.django_db

TEXT = (models.CharField, models.TextField, models.JSONField)


def every_text_value():
    """Every text and JSON column of every model, as (table.column, text)."""
    for model in apps.get_models():
        columns = [f.name for f in model._meta.concrete_fields if isinstance(f, TEXT)]
        if not columns:
            continue
        for row in model.objects.values_list(*columns):
            for name, value in zip(columns, row, strict=True):
                if value not in (None, "", [], {}):
                    yield f"{model._meta.db_table}.{name}", json.dumps(value, ensure_ascii=False)


def traces(caller) -> list[str]:
    wanted = [v.lower() for v in caller.values]
    return sorted(
        {where for where, text in every_text_value() for v in wanted if v in text.lower()}
    )


def kpis(incident: Incident) -> dict:
    """What the KPIs read: times, statuses, priority, clocks, the timeline's shape."""
    incident = Incident.objects.get(pk=incident.pk)
    fields = ["received_at", "created_at", "status", "priority_id", "impact_id", "urgency_id"]
    return {
        "incident": {name: getattr(incident, name) for name in fields},
        "timers": list(
            SlaTimer.objects.filter(incident=incident)
            .order_by("kind")
            .values("kind", "target", "started_at", "paused_at", "paused_total", "due_at", "met_at")
        ),
        "events": list(
            IncidentEvent.objects.filter(incident=incident)
            .exclude(kind="caller_redacted")
            .order_by("id")
            .values("id", "kind", "at", "actor_id")
        ),
        "scores": list(Satisfaction.objects.filter(incident=incident).values("score", "at")),
    }


@pytest.fixture
def two_callers(reference_data):
    ruth = full_history(RUTH, old_phone="07700 900000", closed=False)
    omar = full_history(OMAR, parent=ruth)
    close(ruth, confirmed_by=RUTH.name)
    return ruth, omar


def test_before_erasure_the_scan_finds_the_person(two_callers):
    assert "incidents_incident.caller_name" in traces(RUTH)
    assert "incidents_incidentevent.data" in traces(RUTH)
    assert "messaging_message.body" in traces(RUTH)


def test_after_erasure_no_table_holds_the_person_and_the_other_caller_is_untouched(two_callers):
    before = traces(OMAR)

    services.erase_subject(subject=Subject(email=RUTH.email), actor=dpo())

    assert traces(RUTH) == []
    assert traces(OMAR) == before
    assert Incident.objects.get(pk=two_callers[1].pk).caller_name == OMAR.name


def test_the_old_phone_in_the_timeline_is_erased_too(two_callers):

    assert any("+447700900000" in text for _, text in every_text_value())

    services.erase_subject(subject=Subject(phone=RUTH.phone), actor=dpo())

    assert not any("+447700900000" in text for _, text in every_text_value())


def test_erasure_leaves_the_kpis_and_the_timeline_structure_unchanged(two_callers):
    ruth, omar = two_callers
    before = (kpis(ruth), kpis(omar))

    services.erase_subject(subject=Subject(phone=RUTH.phone), actor=dpo())

    assert (kpis(ruth), kpis(omar)) == before


def test_erasure_records_which_events_it_rewrote(two_callers):
    ruth, _ = two_callers
    officer = dpo()

    done = services.erase_subject(subject=Subject(phone=RUTH.phone), actor=officer)

    assert done.incidents == [ruth.reference]
    event = ruth.events.get(kind="caller_redacted")
    assert event.actor == officer
    assert event.data["because"] == "request"
    rewritten = set(event.data["events"])
    assert ruth.events.get(kind="updated").pk in rewritten
    assert ruth.events.get(kind="closed").pk in rewritten
    assert ruth.events.get(kind="logged").pk not in rewritten  # held nothing of the caller


def test_an_open_incident_is_refused_and_nothing_is_erased(reference_data):
    closed = full_history(RUTH)
    still_open = log(caller_name=RUTH.name, caller_phone=RUTH.phone)

    with pytest.raises(InvalidTransition):
        services.erase_subject(subject=Subject(phone=RUTH.phone), actor=dpo())

    assert Incident.objects.get(pk=closed.pk).caller_name == RUTH.name
    assert Incident.objects.get(pk=still_open.pk).caller_name == RUTH.name


def test_the_dpo_erases_from_the_page_and_an_agent_may_not(two_callers):
    ruth, _ = two_callers
    client = Client()
    client.force_login(dpo())

    refused = Client()
    refused.force_login(UserFactory(role="Agent"))
    assert (
        refused.post(reverse("privacy:erase"), {"phone": RUTH.phone, "confirm": "on"}).status_code
        == 403
    )
    unconfirmed = client.post(reverse("privacy:erase"), {"phone": RUTH.phone})
    assert Incident.objects.get(pk=ruth.pk).caller_phone == phones.normalise(RUTH.phone)
    done = client.post(reverse("privacy:erase"), {"phone": RUTH.phone, "confirm": "on"})

    assert unconfirmed.status_code == done.status_code == 302
    assert Incident.objects.get(pk=ruth.pk).caller_phone == ""


def dpo():
    return UserFactory(role="Data protection officer")
