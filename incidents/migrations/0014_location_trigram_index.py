"""A trigram index on incident locations for the duplicate search (PostgreSQL only).

incidents.selectors.likely_duplicates filters by `location % <typed>` and ILIKE on
PostgreSQL; the GIN index answers both. On SQLite this migration does nothing (the search
scores the window's newest there instead), so it is not in the model's Meta.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "incident_location_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON incidents_incident "
            "USING gin (location gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_personal_data_contact_views")]

    operations = [
        # CREATE EXTENSION IF NOT EXISTS pg_trgm; a no-op on other databases.
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
