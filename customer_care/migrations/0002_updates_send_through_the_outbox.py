"""A sent customer update and a survey link point to their message in the outbox; the
update's own delivery columns (attempts, delivered_at, error) move into that message.

Every update that was queued, sent or failed becomes a message with the subject and body
the worker sends (rendered now from the same templates), its attempts, error and time.
One still queued (stranded by a broker outage, say) is due at once: the outbox sweep sends
it. A survey link already sent becomes a sent message; one never sent and still valid is
queued; an expired unsent one stays without a message. Backwards, the columns come back
empty.
"""

from django.conf import settings
from django.core import signing
from django.db import migrations, models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents.models import reference_for
from messaging.rendering import header_line

STATUS = {"queued": "queued", "sent": "sent", "failed": "failed"}
SURVEY_SALT = "incidents.satisfaction-link"


def _actor(user) -> dict:
    full = f"{user.first_name} {user.last_name}".strip()
    return {"get_full_name": full, "get_username": user.username}


def convert(apps, schema_editor):
    Update = apps.get_model("customer_care", "CustomerUpdate")
    Link = apps.get_model("customer_care", "SatisfactionLink")
    Message = apps.get_model("messaging", "Message")
    now = timezone.now()
    updates = Update.objects.exclude(delivery_status="recorded").select_related(
        "incident", "actor"
    )
    for update in updates.order_by("pk").iterator():
        incident = update.incident
        body = render_to_string(
            "customer_care/email/customer_update.txt",
            {
                "incident": _incident(incident),
                "update": {"message": update.message, "actor": _actor(update.actor)},
            },
        )
        status = STATUS.get(update.delivery_status, "failed")
        update.outbound = Message.objects.create(
            kind="customer_update",
            incident=incident,
            channel=update.channel,
            address=update.recipient,
            recipient=incident.caller_name or update.recipient,
            subject=header_line(f"Update on your report {reference_for(incident.pk)}"),
            body=body,
            status=status,
            attempts=update.attempts,
            next_attempt_at=now if status == "queued" else None,
            last_error=update.error,
            created_at=update.given_at,
            sent_at=update.delivered_at if status == "sent" else None,
        )
        update.save(update_fields=["outbound"])
    for link in Link.objects.select_related("incident").order_by("pk").iterator():
        if link.sent_at is None and (link.used_at is not None or link.expires_at <= now):
            continue
        incident = link.incident
        token = signing.dumps({"link": link.pk}, salt=SURVEY_SALT)
        body = render_to_string(
            "customer_care/email/satisfaction.txt",
            {
                "incident": _incident(incident),
                "link": link,
                "url": settings.SITE_URL + reverse("satisfaction", args=[token]),
            },
        )
        sent = link.sent_at is not None
        link.outbound = Message.objects.create(
            kind="satisfaction_link",
            incident=incident,
            channel="email",
            address=link.sent_to,
            recipient=incident.caller_name or link.sent_to,
            subject=header_line(f"How did we do? {reference_for(incident.pk)} is resolved"),
            body=body,
            status="sent" if sent else "queued",
            attempts=1 if sent else 0,
            next_attempt_at=None if sent else now,
            created_at=link.created_at,
            sent_at=link.sent_at,
        )
        link.save(update_fields=["outbound"])


def _incident(incident) -> dict:
    """What the email templates read of an incident (a migration's model has no
    `reference` property)."""
    return {
        "reference": reference_for(incident.pk),
        "summary": incident.summary,
        "caller_name": incident.caller_name,
    }


class Migration(migrations.Migration):
    dependencies = [
        ("customer_care", "0001_initial"),
        ("messaging", "0001_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerupdate",
            name="outbound",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="messaging.message",
            ),
        ),
        migrations.AddField(
            model_name="satisfactionlink",
            name="outbound",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="messaging.message",
            ),
        ),
        migrations.RunPython(convert, migrations.RunPython.noop),
        migrations.RemoveField(model_name="customerupdate", name="attempts"),
        migrations.RemoveField(model_name="customerupdate", name="delivered_at"),
        migrations.RemoveField(model_name="customerupdate", name="error"),
    ]
