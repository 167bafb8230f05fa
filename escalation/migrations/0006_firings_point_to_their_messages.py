"""An escalation firing points to its notification emails in the outbox. Emails sent
before this were not recorded anywhere (a Celery task sent them), so there is nothing to
convert."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0005_alerts_close_and_manual_repeats"),
        ("messaging", "0001_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalationevent",
            name="messages",
            field=models.ManyToManyField(blank=True, related_name="+", to="messaging.message"),
        ),
    ]
