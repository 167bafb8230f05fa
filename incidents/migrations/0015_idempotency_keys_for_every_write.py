"""Incident-creation keys move into the one table every write uses (core.IdempotencyKey).

Each unexpired key keeps its fingerprint (the same canonical JSON digest of the body), so
an API client retrying a creation after the upgrade still gets its first incident back:
201 with the incident's id, reference and Location (the full incident is one GET away;
the old table never stored the answer). Keys the new-incident page wrote cannot be told
apart from API keys; a page resent across the upgrade is told to reload. Expired keys
are not copied: they would be purged anyway. The roles are reinstalled so the Admin group
sees the keys in their new place (core is one of its apps now).
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from incidents import roles


def copy_keys(apps, schema_editor):
    old = apps.get_model("incidents", "IdempotencyKey")
    new = apps.get_model("core", "IdempotencyKey")
    horizon = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    new.objects.bulk_create(
        new(
            user_id=row.user_id,
            key=row.key,
            method="POST",
            path="/api/incidents/",
            fingerprint=row.fingerprint,
            status_code=201,
            body={"id": row.incident_id, "reference": f"INC-{row.incident_id:06d}"},
            headers={"Location": f"/api/incidents/{row.incident_id}/"},
            created_at=row.created_at,
        )
        for row in old.objects.filter(created_at__gte=horizon).iterator()
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("incidents", "IdempotencyKey")
    new = apps.get_model("core", "IdempotencyKey")
    old.objects.bulk_create(
        old(
            user_id=row.user_id,
            key=row.key,
            fingerprint=row.fingerprint,
            incident_id=row.body["id"],
            created_at=row.created_at,
        )
        for row in new.objects.filter(path="/api/incidents/", status_code=201).iterator()
        if isinstance(row.body, dict) and "id" in row.body
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_idempotency_keys_for_every_write"),
        ("incidents", "0014_location_trigram_index"),
    ]

    operations = [
        migrations.RunPython(copy_keys, copy_back),
        migrations.DeleteModel(name="IdempotencyKey"),
        # The Admin group sees the keys in their new place.
        migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop),
    ]
