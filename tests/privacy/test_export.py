"""Subject-access export: everything about the person, nothing about anyone else."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import ContactView
from privacy import pdf, selectors
from privacy.selectors import Subject
from tests.factories import UserFactory, agent, close
from tests.privacy.history import OMAR, RUTH, full_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_callers(reference_data):
    """Ruth and Omar report the same leak at the same time; Omar's call is linked to Ruth's."""
    ruth = full_history(RUTH, old_phone="07700 900000", closed=False)
    omar = full_history(OMAR, parent=ruth)
    close(ruth, confirmed_by=RUTH.name)
    return ruth, omar


def dpo():
    return UserFactory(role="Data protection officer")


def test_export_holds_every_incident_event_message_and_survey_of_the_person(two_callers):
    ruth, _ = two_callers

    data = selectors.export(Subject(phone="+44 7700 900123"))

    (incident,) = data["incidents"]
    assert incident["reference"] == ruth.reference
    assert incident["caller_email"] == RUTH.email
    assert [e["id"] for e in incident["events"]] == list(
        ruth.events.order_by("id").values_list("id", flat=True)
    )
    assert incident["customer_updates"][0]["message"].startswith(f"Dear {RUTH.name}")
    assert incident["surveys"][0]["comment"] == f"Quick, thanks - {RUTH.name}"
    assert incident["survey_links"][0]["sent_to"] == RUTH.email
    assert incident["closures"][0]["confirmed_by"] == RUTH.name
    kinds = {m["kind"] for m in data["messages"]}
    assert {"Customer update", "Satisfaction survey link", "Dispatch briefing"} <= kinds
    to_ruth = [m for m in data["messages"] if m["to"] == RUTH.email]
    assert len(to_ruth) == 2


def test_export_by_email_finds_the_same_as_by_phone(two_callers):
    by_phone = selectors.export(Subject(phone=RUTH.phone))
    by_email = selectors.export(Subject(email=RUTH.email.upper()))

    assert by_phone["incidents"] == by_email["incidents"]
    assert by_phone["messages"] == by_email["messages"]


@pytest.mark.parametrize(("asked", "other"), [(RUTH, OMAR), (OMAR, RUTH)])
def test_export_holds_nothing_about_the_other_caller_or_staff(two_callers, asked, other):
    data = selectors.export(Subject(phone=asked.phone))
    text = json.dumps(data, ensure_ascii=False).lower()

    assert asked.name.lower() in text
    for value in other.values:
        assert value.lower() not in text
    # Staff are third parties: no usernames, no resource addresses.
    for username in {e.actor.username for e in two_callers[0].events.exclude(actor=None)}:
        assert f'"{username}"' not in text
    assert "07700 900999" not in text


def test_nobody_found_gives_an_empty_export(two_callers):
    data = selectors.export(Subject(email="nobody@example.com"))

    assert data["incidents"] == [] and data["messages"] == []


def test_the_pdf_is_a_readable_pdf_naming_the_person(two_callers):
    body = pdf.render(selectors.export(Subject(email=RUTH.email)))

    assert body.startswith(b"%PDF-")
    assert len(body) > 2000


def test_the_dpo_downloads_json_and_pdf_and_each_export_is_logged(two_callers):
    ruth, _ = two_callers
    client = Client()
    client.force_login(dpo())

    as_json = client.post(reverse("privacy:export"), {"email": RUTH.email, "format": "json"})
    as_pdf = client.post(reverse("privacy:export"), {"email": RUTH.email, "format": "pdf"})

    assert as_json.status_code == 200
    assert json.loads(as_json.content)["incidents"][0]["reference"] == ruth.reference
    assert as_pdf["Content-Type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF-")
    logged = ContactView.objects.filter(incident=ruth, via="export")
    assert logged.count() == 2


def test_an_agent_may_not_export():
    client = Client()
    client.force_login(agent())

    response = client.post(reverse("privacy:export"), {"email": RUTH.email, "format": "json"})

    assert response.status_code == 403
