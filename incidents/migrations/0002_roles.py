"""Groups for the three roles, with their permissions, and the one priority matrix."""

from django.db import migrations

from incidents import roles

def create_roles(apps, schema_editor):
    roles.install_in_migration(apps, schema_editor)
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
