"""Who may use the API, and how they sign in: sessions and tokens."""

import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents.models import Incident
from tests.factories import UserFactory, agent, log
from tests.incidents.api_support import INCIDENTS, action_url, client_for, new_call

pytestmark = pytest.mark.django_db

READS = [
    INCIDENTS,
    "/api/priority-matrix/",
    "/api/categories/",
    "/api/priorities/",
]


@pytest.mark.parametrize("url", READS)
def test_anonymous_reads_are_401_with_a_token_challenge(reference_data, url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_create_is_401_and_logs_nothing(reference_data):
    response = APIClient().post(INCIDENTS, new_call(), format="json")

    assert response.status_code == 401
    assert not Incident.objects.exists()


@pytest.mark.parametrize("url", READS)
def test_a_user_without_a_role_cannot_read(reference_data, url):
    api = client_for(UserFactory())

    assert api.get(url).status_code == 403


def test_a_user_without_a_role_cannot_log_or_change(reference_data):
    incident = log()
    api = client_for(UserFactory())

    created = api.post(INCIDENTS, new_call(), format="json")
    changed = api.post(action_url(incident, "status"), {"status": "dispatched"}, format="json")
    events = api.get(action_url(incident, "events"))

    assert (created.status_code, changed.status_code, events.status_code) == (403, 403, 403)
    assert Incident.objects.count() == 1


def test_an_agent_cannot_reprioritise(reference_data):
    incident = log()
    api = client_for(agent())

    response = api.post(
        action_url(incident, "reprioritise"),
        {"impact": 1, "urgency": 1, "reason": "Feels urgent"},
        format="json",
    )

    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.priority.code == "P2"


def test_an_unsupported_method_is_405_not_403(reference_data):
    incident = log()
    api = client_for(agent())

    assert api.put(f"{INCIDENTS}{incident.pk}/", {}, format="json").status_code == 405
    assert api.delete(f"{INCIDENTS}{incident.pk}/").status_code == 405
    assert api.post("/api/categories/", {}, format="json").status_code == 405


def test_a_token_authenticates_without_a_session(capsys, reference_data):
    # given an agent's token, made by the management command (printed once, stored hashed)
    user = agent()
    call_command("create_api_token", user.username)
    secret = capsys.readouterr().out.strip()

    # when
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    response = client.post(INCIDENTS, new_call(), format="json")

    # then
    assert response.status_code == 201
    assert response.json()["created_by"] == user.username


def test_a_wrong_token_is_401(reference_data):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get(INCIDENTS).status_code == 401


def test_a_session_login_works_with_csrf_for_writes(reference_data):
    user = agent()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    read = client.get(INCIDENTS)
    write_without_csrf = client.post(INCIDENTS, new_call(), format="json")

    assert read.status_code == 200
    assert write_without_csrf.status_code == 403
    assert "CSRF" in write_without_csrf.json()["detail"]


def test_create_api_token_makes_a_new_token_each_time_and_stores_only_digests(
    capsys, reference_data
):
    user = agent()

    call_command("create_api_token", user.username)
    first = capsys.readouterr().out.strip()
    call_command("create_api_token", user.username)
    second = capsys.readouterr().out.strip()

    digests = set(AuthToken.objects.filter(user=user).values_list("digest", flat=True))
    assert first != second
    assert len(digests) == 2
    assert not {first, second} & digests


def test_create_api_token_for_an_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="no user “ghost”"):
        call_command("create_api_token", "ghost")
