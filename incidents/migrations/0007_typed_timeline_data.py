"""Every timeline event rewritten in the typed shape of incidents/timeline.py.

Earlier versions stored English (dispatch's "text"), labels instead of codes and nested
dicts; upgrade_legacy turns each into today's shape (ids, codes, UTC times), and the
catalogue validates the result. Events already in the new shape are left as they are.
"""

from django.db import migrations

from incidents import timeline

BATCH = 1000


def upgrade(apps, schema_editor):
    IncidentEvent = apps.get_model("incidents", "IncidentEvent")
    changed = []
    for event in IncidentEvent.objects.order_by("pk").iterator(chunk_size=BATCH):
        data = timeline.validate(event.kind, timeline.upgrade_legacy(event.kind, event.data))
        if data != event.data:
            event.data = data
            changed.append(event)
        if len(changed) >= BATCH:
            IncidentEvent.objects.bulk_update(changed, ["data"])
            changed = []
    IncidentEvent.objects.bulk_update(changed, ["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0006_roles_after_the_move"),
    ]

    operations = [migrations.RunPython(upgrade, migrations.RunPython.noop)]
