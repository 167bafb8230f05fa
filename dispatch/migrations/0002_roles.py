"""Give the roles their dispatch permissions."""

from django.db import migrations

from incidents import roles


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0001_initial"),
        ("incidents", "0002_roles"),
    ]

    operations = [migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop)]
