"""Who sees a caller's contact details, on every surface, and the log of every view."""

import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from board import publisher
from board import rows as board
from customer_care import services as care
from escalation import services as escalation
from incidents import contact, services
from incidents.events import last_event_id
from incidents.models import ContactView
from tests.factories import UserFactory, agent, log, supervisor
from tests.incidents.api_support import client_for
from tests.privacy.history import OMAR, RUTH, full_history

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/incidents/"


def shows(text: str, caller) -> list[str]:
    """Which of the caller's details appear in a response."""
    return [value for value in caller.values if value.lower() in text.lower()]


@pytest.fixture
def closed_by_someone_else(reference_data):
    """A closed incident with the caller's details everywhere, logged and worked by others."""
    return full_history(RUTH, old_phone="07700 900000")


# ---- The rule ----------------------------------------------------------------------------


def test_agents_see_open_or_handled_incidents_supervisors_every_one(closed_by_someone_else):
    logger = closed_by_someone_else.created_by
    stranger, boss = agent(), supervisor()
    open_one = log(actor=agent(), caller_name=OMAR.name, caller_phone=OMAR.phone)

    assert contact.may_view(logger, closed_by_someone_else)
    assert not contact.may_view(stranger, closed_by_someone_else)
    assert contact.may_view(stranger, open_one)
    assert contact.may_view(boss, closed_by_someone_else)
    assert not contact.may_view(UserFactory(), open_one)  # no role: nothing


def test_an_agent_who_acted_on_an_incident_handles_it(reference_data):
    helper = agent()
    incident = log(caller_name=RUTH.name, caller_phone=RUTH.phone)
    care.give_customer_update(
        incident_id=incident.pk, actor=helper, channel="phone", message="On its way"
    )
    full_close = full_history(OMAR)
    incident.status = "closed"  # as the filter reads it; the rule is about status and events
    incident.save(update_fields=["status"])

    assert contact.may_view(helper, incident)
    assert not contact.may_view(helper, full_close)
    assert contact.visible_ids(helper, [incident, full_close]) == {incident.pk}


def test_the_roles_carry_the_permissions(reference_data):
    def perms(group):
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=group).permissions.all()
        }

    assert contact.SCOPED in perms("Agent") and contact.EVERY not in perms("Agent")
    assert contact.EVERY in perms("Supervisor")
    assert {
        contact.EVERY,
        "incidents.view_contactview",
        "incidents.export_personal_data",
        "incidents.erase_personal_data",
    } <= perms("Data protection officer")
    assert "incidents.erase_personal_data" not in perms("Supervisor")


# ---- Pages -------------------------------------------------------------------------------


def page(user, incident) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_incident_page_hides_every_copy_from_an_agent_who_may_not_see(closed_by_someone_else):
    html = page(agent(), closed_by_someone_else)

    assert shows(html, RUTH) == []
    assert "07700 900000" not in html  # the old number in the "details updated" entry
    assert "Contact details hidden" in html
    assert not ContactView.objects.exists()


def test_the_incident_page_shows_and_logs_for_who_may_see(closed_by_someone_else):
    boss = supervisor()

    html = page(boss, closed_by_someone_else)

    assert shows(html, RUTH) == RUTH.values
    (view,) = ContactView.objects.all()
    assert (view.user, view.incident, view.via) == (boss, closed_by_someone_else, "page")
    assert view.fields == ["caller_name", "caller_phone", "caller_email"]
    assert view.path == f"/incidents/{closed_by_someone_else.pk}/"


def test_search_by_caller_finds_only_incidents_whose_caller_the_user_may_see(
    closed_by_someone_else,
):
    def found(user, text):
        client = Client()
        client.force_login(user)
        html = client.get(reverse("incidents:list"), {"view": "all", "q": text}).content.decode()
        return closed_by_someone_else.reference in html

    assert not found(agent(), RUTH.phone)
    assert found(agent(), "ceiling")  # the summary is no secret
    assert found(supervisor(), RUTH.phone)
    assert found(closed_by_someone_else.created_by, RUTH.name)


# ---- API ---------------------------------------------------------------------------------


def test_the_api_leaves_the_caller_out_for_an_agent_who_may_not_see(closed_by_someone_else):
    api = client_for(agent())
    incident = closed_by_someone_else

    listed = api.get(INCIDENTS, {"status": "closed"})
    detail = api.get(f"{INCIDENTS}{incident.pk}/")
    timeline = api.get(f"{INCIDENTS}{incident.pk}/events/")
    record = api.get(f"{INCIDENTS}{incident.pk}/care/")

    (row,) = listed.json()["results"]
    assert row["caller_visible"] is False and "caller_name" not in row
    assert detail.json()["caller_visible"] is False and "caller_phone" not in detail.json()
    for response in (listed, detail, timeline, record):
        assert response.status_code == 200
        assert shows(response.content.decode(), RUTH) == []
        assert "07700 900000" not in response.content.decode()
    assert not ContactView.objects.exists()


def test_the_api_list_logs_every_incident_shown_in_one_insert(reference_data):
    user = agent()
    shown = [
        log(actor=user, caller_name=f"Caller {n}", caller_phone=f"0770090{n:04d}")
        for n in range(30)
    ]
    api = client_for(user)

    with CaptureQueriesContext(connection) as queries:
        response = api.get(INCIDENTS, {"page_size": 200})

    assert len(response.json()["results"]) == 30
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "incidents_contactview"')]
    assert len(inserts) == 1
    assert ContactView.objects.filter(user=user, via="api").count() == len(shown)


def test_the_api_shows_a_supervisor_and_logs_it(closed_by_someone_else):
    boss = supervisor()

    detail = client_for(boss).get(f"{INCIDENTS}{closed_by_someone_else.pk}/").json()

    assert detail["caller_visible"] is True
    assert (detail["caller_name"], detail["caller_email"]) == (RUTH.name, RUTH.email)
    assert ContactView.objects.get(user=boss).via == "api"


# ---- Board -------------------------------------------------------------------------------


def test_live_events_and_resync_never_carry_caller_details(reference_data, monkeypatch):
    """The board is one broadcast to every supervisor: nothing in it needs the caller."""
    sent = []
    monkeypatch.setattr(publisher, "publish", lambda message, **kw: sent.append(message))
    cursor = last_event_id()
    user = agent()
    incident = log(
        actor=user,
        caller_name=RUTH.name,
        caller_phone=RUTH.phone,
        summary=f"Leak at {RUTH.name}'s flat",
    )
    services.update_incident(
        incident_id=incident.pk,
        actor=user,
        expected_version=1,
        changes={"caller_phone": OMAR.phone, "caller_email": RUTH.email},
        rationale=f"{RUTH.name} gave another number",
    )
    care.give_customer_update(
        incident_id=incident.pk,
        actor=user,
        channel="email",
        message=f"Dear {RUTH.name}, on its way",
        send=True,
    )

    answer = board.resync(cursor)
    snapshot = board.snapshot()

    assert {m["kind"] for m in sent} >= {"logged", "updated", "customer_update_queued"}
    for payload in (sent, answer, snapshot):
        text = json.dumps(payload, ensure_ascii=False)
        assert shows(text, RUTH) == []
        assert OMAR.phone not in text
    assert "[hidden]" in json.dumps(answer["events"])


# ---- Emails to staff ---------------------------------------------------------------------


def test_escalation_emails_to_staff_carry_no_caller_details(reference_data):
    boss = UserFactory(email="boss@example.org")
    boss.groups.add(Group.objects.get(name="Supervisor"))
    incident = log(caller_name=RUTH.name, caller_phone=RUTH.phone, caller_email=RUTH.email)

    event = escalation.escalate_manually(incident_id=incident.pk, actor=agent(), reason="Help")

    (message,) = event.messages.all()
    assert shows(f"{message.subject}\n{message.body}", RUTH) == []


# ---- The data protection officer's page --------------------------------------------------


def test_the_dpo_reads_the_log_and_an_agent_may_not(closed_by_someone_else):
    page(supervisor(), closed_by_someone_else)
    officer = UserFactory(role="Data protection officer")
    client = Client()
    client.force_login(officer)

    html = client.get(reverse("privacy:dpo"), {"incident": closed_by_someone_else.reference})
    refused = Client()
    refused.force_login(agent())

    assert html.status_code == 200
    assert closed_by_someone_else.reference in html.content.decode()
    assert "caller_name, caller_phone, caller_email" in html.content.decode()
    assert refused.get(reverse("privacy:dpo")).status_code == 403
