"""Page forms are retry-safe: each carries a key made when it is shown, so a double submit
or a resend after a lost answer does nothing twice, and the person is told so."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.models import IdempotencyKey
from customer_care.models import CustomerUpdate
from incidents.models import ImpactLevel, Incident, IncidentEvent, UrgencyLevel
from tests.factories import agent, log, supervisor

pytestmark = pytest.mark.django_db

# Forms that need no key: signing in and out, the admin's own forms, and the public pages
# reached without a login (the survey link and the status link are single-use or a no-op
# when repeated, and keys belong to a user).
KEYLESS = {"registration/login.html", "base.html", "customer_care/survey.html"}
KEYLESS_PREFIXES = ("admin/", "dispatch/status_link.html")
# A download, not a write: sending it twice gives the file twice (each view logged).
KEYLESS_FORMS = ('id="export-form"',)


def _post_forms():
    root = Path(settings.BASE_DIR) / "templates"
    for template in sorted(root.rglob("*.html")):
        name = template.relative_to(root).as_posix()
        if name in KEYLESS or name.startswith(KEYLESS_PREFIXES):
            continue
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, flags=re.S):
            if not any(mark in form for mark in KEYLESS_FORMS):
                yield name, form


@pytest.mark.parametrize(("template", "form"), list(_post_forms()))
def test_every_page_form_carries_an_idempotency_key(template, form):
    assert "{% idempotency_key %}" in form or "idempotency_key" in form, template


def _reprioritise(client, incident, key):
    url = reverse("incidents:action", args=[incident.pk, "reprioritise"])
    top = {
        "impact": ImpactLevel.objects.get(rank=1).pk,
        "urgency": UrgencyLevel.objects.get(rank=1).pk,
    }
    body = {"version": 1, **top, "reason": "Near the switchboard"}
    return client.post(url, {**body, "idempotency_key": key}, follow=True)


def test_a_double_submit_changes_the_incident_once_and_says_so(client, reference_data):
    # given
    incident = log()
    client.force_login(supervisor())
    events = IncidentEvent.objects.count()

    # when the same form is sent twice (a double click, or a resend after a lost answer)
    first = _reprioritise(client, incident, "form-1")
    second = _reprioritise(client, incident, "form-1")

    # then it was done once, and the second answer says it was already done
    assert Incident.objects.get(pk=incident.pk).priority.code == "P1"
    assert IncidentEvent.objects.count() == events + 1
    assert "Priority changed." in first.content.decode()
    assert "already sent" in second.content.decode()
    assert second.redirect_chain == first.redirect_chain


def test_a_refused_form_is_not_remembered_so_sending_it_again_tries_again(client, reference_data):
    incident = log()
    client.force_login(agent())
    url = reverse("incidents:action", args=[incident.pk, "resolve"])

    refused = client.post(url, {"version": 1, "code": "fixed", "notes": "", "idempotency_key": "r"})

    assert refused.status_code == 302
    assert not IdempotencyKey.objects.exists()


def test_a_sent_update_says_what_is_still_to_happen(client, reference_data):
    incident = log(caller_email="ruth@example.org")
    client.force_login(agent())
    url = reverse("incidents:action", args=[incident.pk, "update-customer"])

    page = client.post(
        url,
        {
            "version": 1,
            "channel": "email",
            "message": "A plumber is on the way.",
            "send": "on",
            "idempotency_key": "u1",
        },
        follow=True,
    )

    assert CustomerUpdate.objects.count() == 1
    assert "Still to happen: delivery queued." in page.content.decode()


def test_the_incident_page_renders_a_new_key_in_each_form_each_time(client, reference_data):
    incident = log()
    client.force_login(supervisor())

    keys = [
        re.findall(
            r'name="idempotency_key" value="(\w+)"',
            client.get(f"/incidents/{incident.pk}/").content.decode(),
        )
        for _ in range(2)
    ]

    assert keys[0] and len(set(keys[0])) == len(keys[0])
    assert not set(keys[0]) & set(keys[1])
