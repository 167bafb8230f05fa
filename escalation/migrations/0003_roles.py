"""Give the roles the escalation permissions (incidents/roles.py lists them)."""

from django.db import migrations

from incidents import roles


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0002_engine"),
        ("incidents", "0002_roles"),
    ]

    operations = [migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop)]
