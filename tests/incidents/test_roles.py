import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from incidents import roles
from incidents.models import Category
from tests import factories

pytestmark = pytest.mark.django_db


def permission_names(group_name: str) -> set[str]:
    permissions = Group.objects.get(name=group_name).permissions.select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def test_agent_group_has_the_agent_permissions():
    assert permission_names("Agent") == set(roles.AGENT)


def test_supervisor_group_adds_reprioritising_and_the_board():
    assert permission_names("Supervisor") == set(roles.SUPERVISOR)
    assert {"incidents.reprioritise_incident", "incidents.view_board"} <= set(roles.SUPERVISOR)


def test_admin_group_has_every_permission_of_the_admin_apps_and_only_the_named_others():
    every = Permission.objects.filter(content_type__app_label__in=roles.ADMIN_APPS)

    assert permission_names("Admin") == {
        *(f"{p.content_type.app_label}.{p.codename}" for p in every),
        *roles.ADMIN_EXTRA,
    }


def test_a_fresh_migrate_has_no_users():
    assert not get_user_model().objects.exists()


def test_supervisor_cannot_change_the_matrix():
    supervisor = factories.supervisor()

    assert supervisor.has_perm("incidents.view_prioritymatrix")
    assert not supervisor.has_perm("incidents.change_prioritymatrix")
    assert not supervisor.has_perm("incidents.change_matrixcell")


@pytest.mark.parametrize(
    "permission",
    [
        "incidents.change_prioritymatrix",
        "incidents.change_category",
        "incidents.add_category",
        "incidents.change_priority",
        "incidents.change_impactlevel",
        "incidents.change_urgencylevel",
        "auth.change_user",
        "auth.add_user",
    ],
)
def test_admin_can_edit_reference_data_and_users(permission):
    assert factories.admin_user().has_perm(permission)


def test_an_admin_adds_a_category_through_the_admin(client, reference_data):
    client.force_login(factories.admin_user())

    response = client.post(
        reverse("admin:incidents_category_add"),
        {"name": "Broken window", "slug": "broken-window", "active": "on"},
    )

    assert response.status_code == 302
    assert Category.objects.get(slug="broken-window").name == "Broken window"


def test_an_admin_opens_the_user_admin(client):
    admin = factories.admin_user()
    client.force_login(admin)

    response = client.get(reverse("admin:auth_user_change", args=[admin.pk]))

    assert response.status_code == 200
