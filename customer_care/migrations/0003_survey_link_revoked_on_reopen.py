"""Survey links end when their incident is reopened: one open link per resolution. Links
already open where that no longer holds (the incident was reopened, or resolved again) are
revoked before the constraint goes on; the newest open link of a settled incident stays."""

from django.db import migrations, models
from django.utils import timezone

SETTLED = ("resolved", "closed")


def revoke_stale_links(apps, schema_editor):
    SatisfactionLink = apps.get_model("customer_care", "SatisfactionLink")
    now = timezone.now()
    kept = set()
    for link in SatisfactionLink.objects.filter(
        used_at__isnull=True, revoked_at__isnull=True
    ).select_related("incident").order_by("-created_at", "-pk"):
        if link.incident.status in SETTLED and link.incident_id not in kept:
            kept.add(link.incident_id)
            continue
        link.revoked_at = now
        link.save(update_fields=["revoked_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('customer_care', '0002_updates_send_through_the_outbox'),
        ('incidents', '0012_hashed_api_tokens_and_least_privilege_roles'),
        ('messaging', '0001_outbox'),
    ]

    operations = [
        migrations.AddField(
            model_name='satisfactionlink',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(revoke_stale_links, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='satisfactionlink',
            constraint=models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True), ('used_at__isnull', True)), fields=('incident',), name='one_open_survey_link_per_incident'),
        ),
    ]
