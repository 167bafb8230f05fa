"""Reinstall the roles now that messages live in messaging (messaging.view_message)."""

from django.db import migrations

from incidents import roles


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0003_messages_move_to_the_outbox"),
        ("messaging", "0001_outbox"),
    ]

    operations = [migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop)]
