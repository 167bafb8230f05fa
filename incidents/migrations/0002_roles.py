"""Groups for the three roles, with their permissions, and the one priority matrix."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT = [
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.view_incident",
    "incidents.view_incidentevent",
    "incidents.view_category",
    "incidents.view_impactlevel",
    "incidents.view_urgencylevel",
    "incidents.view_priority",
    "incidents.view_prioritymatrix",
    "incidents.view_matrixcell",
    "escalation.view_slatimer",
]
SUPERVISOR = AGENT + ["incidents.reprioritise_incident", "incidents.view_board"]
ADMIN_APPS = ["incidents", "escalation", "dispatch", "auth", "authtoken"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return found

    Group.objects.get_or_create(name="Agent")[0].permissions.set(perms(AGENT))
    Group.objects.get_or_create(name="Supervisor")[0].permissions.set(perms(SUPERVISOR))
    Group.objects.get_or_create(name="Admin")[0].permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
    PriorityMatrix = apps.get_model("incidents", "PriorityMatrix")
    if not PriorityMatrix.objects.exists():
        PriorityMatrix.objects.create()


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Agent", "Supervisor", "Admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("escalation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
