"""Give the roles the escalation permissions (incidents/roles.py lists them)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from incidents import roles


def install(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles.install_roles(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0002_engine"),
        ("incidents", "0002_roles"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
