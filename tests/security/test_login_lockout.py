"""Login throttling and lockout (django-axes) on every way in: /login/, /admin/login/ and
API tokens; the audit of failures in admin; unlocking."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.tokens import TOKEN_LOGIN, LockedOut
from tests.factories import admin_user, agent

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def fail(client, url, username, times):
    for _ in range(times):
        client.post(url, {"username": username, "password": "wrong-password"})


def test_the_right_password_is_refused_after_too_many_wrong_ones_on_the_login_page():
    # given
    agent(username="alice")
    client = Client()
    fail(client, "/login/", "alice", LIMIT)

    # when
    response = client.post("/login/", {"username": "alice", "password": "pass-for-tests"})

    # then
    assert response.status_code == 429
    assert b"Login locked" in response.content
    assert "_auth_user_id" not in client.session


def test_a_few_wrong_passwords_do_not_lock_the_login():
    agent(username="alice")
    client = Client()
    fail(client, "/login/", "alice", LIMIT - 1)

    response = client.post("/login/", {"username": "alice", "password": "pass-for-tests"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_the_admin_login_locks_out_too():
    admin_user(username="root")
    client = Client()
    fail(client, "/admin/login/", "root", LIMIT)

    response = client.post(
        "/admin/login/", {"username": "root", "password": "pass-for-tests", "next": "/admin/"}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failed_logins_are_recorded_without_the_password_and_readable_by_an_admin():
    agent(username="alice")
    fail(Client(), "/login/", "alice", 2)
    reader = Client()
    reader.force_login(admin_user())

    attempt = AccessAttempt.objects.get(username="alice")
    page = reader.get("/admin/axes/accessfailurelog/")

    assert attempt.failures_since_start == 2
    assert "wrong-password" not in attempt.post_data
    assert AccessFailureLog.objects.filter(username="alice").count() == 2
    assert page.status_code == 200
    assert b"alice" in page.content


def test_an_admin_unlocks_a_login_by_deleting_its_attempt():
    agent(username="alice")
    fail(Client(), "/login/", "alice", LIMIT)
    unlocker = Client()
    unlocker.force_login(admin_user())
    attempt = AccessAttempt.objects.get(username="alice")

    unlocker.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    response = Client().post("/login/", {"username": "alice", "password": "pass-for-tests"})

    assert not AccessAttempt.objects.exists()
    assert response.status_code == 302


def test_the_management_command_unlocks_a_login():
    agent(username="alice")
    fail(Client(), "/login/", "alice", LIMIT)

    call_command("axes_reset_username", "alice")
    response = Client().post("/login/", {"username": "alice", "password": "pass-for-tests"})

    assert response.status_code == 302


def test_a_genuine_token_is_refused_while_token_guessing_from_that_address_is_locked_out():
    # given a real token, and an address that has guessed wrong too often
    _, secret = AuthToken.objects.create(user=agent())
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    guesses = [guesser.get("/api/incidents/") for _ in range(LIMIT)]
    answers = [guess.status_code for guess in guesses]

    # when the right token comes from that address
    honest = APIClient()
    honest.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    locked = honest.get("/api/incidents/")
    call_command("axes_reset_username", TOKEN_LOGIN)
    unlocked = honest.get("/api/incidents/")

    # then the attempt that reached the limit already met the lockout, answered in JSON
    assert answers == [401] * (LIMIT - 1) + [429]
    assert locked.status_code == 429
    assert {guesses[-1].json()["detail"], locked.json()["detail"]} == {LockedOut.default_detail}
    assert unlocked.status_code == 200


def test_password_reset_pages_are_not_served():
    client = Client()

    for url in ("/password_reset/", "/reset/done/", "/password_change/"):
        assert client.get(url).status_code == 404, url
