"""Headers on every answer: the CSP, referrer and permissions policies, no caching of pages
or API answers that carry personal data; HTTPS settings; the session lifetimes."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory, agent, log

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws://127.0.0.1:8000; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def test_pages_carry_the_content_security_policy_and_the_other_security_headers(
    reference_data,
):
    client = Client()
    client.force_login(agent())
    incident = log()

    response = client.get(f"/incidents/{incident.pk}/")

    assert response.status_code == 200
    assert set(response["Content-Security-Policy"].split("; ")) == set(EXPECTED_CSP.split("; "))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_and_api_answers_with_callers_details_are_never_cached(reference_data):
    user = agent()
    incident = log(actor=user)
    page = Client()
    page.force_login(user)
    api = APIClient()
    api.force_authenticate(user)

    answers = [
        page.get("/incidents/"),
        page.get(f"/incidents/{incident.pk}/"),
        api.get("/api/incidents/"),
        api.get(f"/api/incidents/{incident.pk}/"),
    ]

    assert [a.status_code for a in answers] == [200] * 4
    assert {a["Cache-Control"] for a in answers} == {"no-store"}


def test_the_login_page_works_under_the_policy_with_no_inline_code():
    response = Client().get("/login/")

    assert response.status_code == 200
    assert b"<script>" not in response.content
    assert b"style=" not in response.content


def https_settings(**env) -> dict:
    """The settings a production process computes from this environment."""
    code = (
        "import json; from incidentdesk import settings as s; print(json.dumps({k: "
        "getattr(s, k, None) for k in ('SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE')}))"
    )
    base = {"SECRET_KEY": "x", "ALLOW_CONSOLE_EMAIL": "true", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_turns_on_the_redirect_a_year_of_hsts_and_the_proxy_header():
    on = https_settings(HTTPS="true")
    off = https_settings(HTTPS="false")

    assert on["SECURE_SSL_REDIRECT"] is True
    assert on["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert not off["SECURE_SSL_REDIRECT"]
    assert not off["SECURE_HSTS_SECONDS"]


def test_a_session_ends_after_the_idle_time_and_a_kiosk_session_lasts_days():
    person = Client()
    person.force_login(agent())
    kiosk = Client()
    kiosk.force_login(UserFactory(role="Kiosk"))

    person.get("/incidents/")
    kiosk.get("/board/")

    assert person.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    assert kiosk.session.get_expiry_age() == settings.KIOSK_SESSION_DAYS * 24 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_a_kiosk_cannot_open_incidents_or_the_api_list():
    kiosk = Client()
    kiosk.force_login(UserFactory(role="Kiosk"))

    assert kiosk.get("/incidents/").status_code == 403
    assert kiosk.get("/api/incidents/").status_code == 403
