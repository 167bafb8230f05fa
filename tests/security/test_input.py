"""Input limits: oversized bodies and forms are 413, control characters in a search are
400, phone numbers are checked and kept in E.164."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from dispatch.models import ContactEndpoint
from incidents.models import Incident
from tests.factories import agent, log, resource
from tests.incidents.api_support import INCIDENTS, new_call
from tests.incidents.test_views import form_data

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_api_body_over_the_limit_is_413_in_json(reference_data):
    body = json.dumps(new_call(description="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)))

    response = api_for(agent()).post(INCIDENTS, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert not Incident.objects.exists()


def test_a_form_with_too_many_fields_is_413_with_a_page(reference_data):
    client = Client()
    client.force_login(agent())
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client.post("/incidents/new/", fields)

    assert response.status_code == 413
    assert b"The form has too many fields." in response.content


def test_a_search_with_a_control_character_is_400_on_the_page_and_in_the_api(reference_data):
    user = agent()
    client = Client()
    client.force_login(user)

    page = client.get("/incidents/?q=%00")
    api = api_for(user).get(f"{INCIDENTS}?q=%01")

    assert page.status_code == 400
    assert b"control characters" in page.content
    assert api.status_code == 400


def test_a_phone_number_that_is_not_one_is_refused_by_the_api(reference_data):
    response = api_for(agent()).post(INCIDENTS, new_call(caller_phone="1"), format="json")

    assert response.status_code == 400
    assert "caller_phone" in response.json()


def test_a_phone_number_is_kept_in_e164(reference_data):
    response = api_for(agent()).post(
        INCIDENTS, new_call(caller_phone="07700 900123"), format="json"
    )

    assert response.status_code == 201
    assert Incident.objects.get().caller_phone == "+447700900123"


def test_editing_the_phone_number_checks_it_too(reference_data):
    from core.errors import Invalid
    from incidents import services

    incident = log()

    with pytest.raises(Invalid, match="valid phone number"):
        services.update_incident(
            incident_id=incident.pk,
            actor=agent(),
            expected_version=incident.version,
            changes={"caller_phone": "12"},
        )


def test_the_new_incident_form_refuses_a_bad_phone_number(reference_data):
    client = Client()
    client.force_login(agent())

    response = client.post("/incidents/new/", form_data(caller_phone="1"))

    assert b"valid phone number" in response.content
    assert not Incident.objects.exists()


def test_a_resource_phone_is_checked_and_normalised(reference_data):
    made = resource(call_sign="FAC-7", contacts={"radio": "FAC-7"})
    good = ContactEndpoint(resource=made, channel="sms", address="07700 900555")
    bad = ContactEndpoint(resource=made, channel="phone", address="1")

    good.full_clean()
    with pytest.raises(ValidationError):
        bad.full_clean()

    assert good.address == "+447700900555"
