"""Reinstall the roles now that the care models and the SLA clock changed app."""

from django.db import migrations

from incidents import roles


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_care_models_and_sla_clock_move"),
    ]

    operations = [migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop)]
