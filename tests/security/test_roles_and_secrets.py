"""Least privilege: the Admin role manages users and reference data without being a
superuser, never reads API tokens or webhook secrets; tokens are hashed, shown once,
expiring and revocable."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from dispatch.admin import ContactEndpointForm
from dispatch.models import ContactEndpoint
from tests.factories import UserFactory, admin_user, agent, resource, supervisor

pytestmark = pytest.mark.django_db
User = get_user_model()


def admin_client():
    client = Client()
    client.force_login(admin_user(username="ada"))
    return client


def test_the_admin_role_is_not_a_superuser_and_cannot_edit_groups():
    admin = admin_user()

    assert not admin.is_superuser
    assert admin.has_perm("auth.change_user")
    assert not admin.has_perm("auth.change_group")
    assert not admin.has_perm("knox.add_authtoken")


def test_an_admin_cannot_make_a_superuser_through_the_user_form():
    # given a user the admin may edit
    target = agent(username="bob")
    client = admin_client()
    form = client.get(f"/admin/auth/user/{target.pk}/change/")

    # when the admin posts the superuser flag anyway
    client.post(
        f"/admin/auth/user/{target.pk}/change/",
        {
            "username": "bob",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [Group.objects.get(name="Agent").pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    # then the form never offered it and the flag is not set
    target.refresh_from_db()
    assert b'name="is_superuser"' not in form.content
    assert b'name="user_permissions"' not in form.content
    assert not target.is_superuser


def test_an_admin_cannot_edit_or_take_over_a_superuser():
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    client = admin_client()

    change = client.post(f"/admin/auth/user/{boss.pk}/change/", {"username": "boss2"})
    password = client.post(
        f"/admin/auth/user/{boss.pk}/password/",
        {"password1": "taken-over-123", "password2": "taken-over-123"},
    )

    boss.refresh_from_db()
    assert change.status_code == 403
    assert password.status_code == 403
    assert boss.username == "boss"
    assert boss.check_password("pass-for-tests")


def test_an_admin_may_only_grant_groups_whose_permissions_it_holds():
    client = admin_client()
    # A group holding a permission the Admin role lacks.
    powerful = Group.objects.create(name="Group editors")
    powerful.permissions.add(Permission.objects.get(codename="change_group"))
    target = agent(username="bob")

    form = client.get(f"/admin/auth/user/{target.pk}/change/").content.decode()

    assert ">Supervisor<" in form
    assert ">Group editors<" not in form


def test_the_token_list_never_shows_a_token():
    token, secret = AuthToken.objects.create(user=agent(username="bob"))
    client = admin_client()

    page = client.get("/admin/knox/authtoken/").content.decode()
    add = client.get("/admin/knox/authtoken/add/")

    assert "bob" in page
    assert secret not in page
    # Not even the first characters knox keeps to find it (its digest, the row's key, is a
    # one-way SHA-512 and tells nothing).
    assert token.token_key not in page
    assert add.status_code == 403


def test_an_admin_revokes_a_token():
    token, secret = AuthToken.objects.create(user=agent())
    client = admin_client()

    client.post(
        "/admin/knox/authtoken/",
        {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"},
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    assert not AuthToken.objects.exists()
    assert api.get("/api/incidents/").status_code == 401


def test_tokens_are_stored_hashed_and_shown_once(capsys):
    user = agent(username="bob")

    call_command("create_api_token", "bob")
    first = capsys.readouterr().out.strip()
    call_command("create_api_token", "bob")
    second = capsys.readouterr().out.strip()

    stored = list(AuthToken.objects.filter(user=user).values_list("digest", flat=True))
    assert first != second
    assert len(stored) == 2
    assert first not in stored and second not in stored


def test_an_expired_token_is_refused():
    token, secret = AuthToken.objects.create(user=agent(), expiry=timedelta(days=1))
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    assert api.get("/api/incidents/").status_code == 401


def test_the_webhook_secret_is_never_rendered_in_admin():
    # given a resource with a webhook endpoint and its secret
    made = resource(call_sign="HOOK-1", contacts={"radio": "HOOK-1"})
    secret = "s3cret-webhook-key-0123456789"
    ContactEndpoint.objects.create(
        resource=made, channel="webhook", address="https://example.org/hook", secret=secret
    )
    client = admin_client()

    # when the admin opens the resource
    page = client.get(f"/admin/dispatch/resource/{made.pk}/change/").content.decode()

    # then
    assert secret not in page
    assert "New secret" in page


def test_a_new_webhook_secret_typed_in_admin_replaces_the_old_and_blank_keeps_it():
    made = resource(call_sign="HOOK-2", contacts={"radio": "HOOK-2"})
    endpoint = ContactEndpoint.objects.create(
        resource=made, channel="webhook", address="https://example.org/hook", secret="x" * 20
    )
    keep = ContactEndpointForm(
        {"channel": "webhook", "address": endpoint.address, "secret": ""}, instance=endpoint
    )
    assert keep.is_valid(), keep.errors
    assert keep.cleaned_data["secret"] == "x" * 20
    change = ContactEndpointForm(
        {"channel": "webhook", "address": endpoint.address, "secret": "y" * 20},
        instance=endpoint,
    )
    assert change.is_valid(), change.errors
    assert change.save().secret == "y" * 20


def test_the_kiosk_role_sees_the_board_and_nothing_else():
    kiosk = UserFactory(role="Kiosk")

    assert kiosk.get_all_permissions() == {"incidents.view_board"}
    assert not supervisor().has_perm("knox.view_authtoken")


@pytest.mark.parametrize(
    ("role", "landing"), [("Kiosk", "/board/?wall=1"), ("Agent", "/incidents/")]
)
def test_a_sign_in_lands_where_the_role_may_look(role, landing):
    user = UserFactory(role=role)
    user.set_password("a-long-pass-phrase")
    user.save()
    client = Client()

    signed_in = client.post(
        "/login/", {"username": user.username, "password": "a-long-pass-phrase"}, follow=True
    )

    assert signed_in.redirect_chain[-1][0] == landing
    assert signed_in.status_code == 200


def test_tokens_made_before_the_upgrade_are_hashed_and_keep_working():
    # given a token in DRF's old table, key in clear, as the previous version made it
    from django.apps import apps
    from rest_framework.authtoken.models import Token

    migration = import_module(
        "incidents.migrations.0012_hashed_api_tokens_and_least_privilege_roles"
    )
    old = Token.objects.create(user=agent(username="integration"))

    # when the migration runs
    migration.hash_existing_tokens(apps, schema_editor=None)

    # then the clear key is gone, and the integration still signs in with it, until expiry
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old.key}")
    migrated = AuthToken.objects.get(user__username="integration")
    assert not Token.objects.exists()
    assert migrated.digest != old.key and migrated.expiry > timezone.now()
    assert api.get("/api/incidents/").status_code == 200
