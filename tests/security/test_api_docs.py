"""The API schema and docs need a login (API_DOCS_PUBLIC opens them) and load nothing from
another site."""

import re

import pytest
from django.test import Client

from tests.factories import agent

pytestmark = pytest.mark.django_db


def test_anonymous_people_get_401_for_the_schema_and_a_login_for_the_docs():
    client = Client()

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 401
    assert docs.status_code == 302
    assert docs["Location"] == "/login/?next=/api/docs/"


def test_the_docs_page_and_its_script_come_from_this_site():
    client = Client()
    client.force_login(agent())

    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert urls and all(url.startswith("/") for url in urls), urls
    assert any("drf_spectacular_sidecar/swagger-ui-dist" in url for url in urls)
    assert "<style>" not in page
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_the_schema_is_served_to_a_logged_in_user():
    client = Client()
    client.force_login(agent())

    assert client.get("/api/schema/").status_code == 200
