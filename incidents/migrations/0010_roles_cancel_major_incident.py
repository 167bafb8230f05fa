"""Reinstall the roles: supervisors may now cancel a priority 1 or 2 incident."""

from django.db import migrations

from incidents import roles


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_lifecycle_table_response_met_acknowledgement_clock"),
    ]

    operations = [migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop)]
