"""Dispatch's messages move to the outbox (messaging.Message); dispatches and broadcasts
point to theirs.

Every row is copied with its id, so the timeline's message_id references stay true, and
with its status, attempt count, error and times. Per-attempt history was never kept, so
copied messages have no DeliveryAttempt rows. A message left queued, retrying or sending
is due at once: the outbox sweep sends it (a `sending` one counts as an attempt of unknown
outcome and is retried). Backwards, the rows are not copied back.
"""

from django.core.management.color import no_style
from django.db import connection, migrations, models
from django.utils import timezone

from messaging.rendering import header_line

PENDING = ("queued", "retrying", "sending")


def copy_to_outbox(apps, schema_editor):
    Old = apps.get_model("dispatch", "Message")
    New = apps.get_model("messaging", "Message")
    Endpoint = apps.get_model("dispatch", "ContactEndpoint")
    Dispatch = apps.get_model("dispatch", "Dispatch")
    Broadcast = apps.get_model("dispatch", "Broadcast")
    now = timezone.now()
    secrets = {
        e.resource_id: e.secret for e in Endpoint.objects.filter(channel="webhook")
    }
    dispatch_links, broadcast_links = [], []
    for old in Old.objects.select_related("recipient").order_by("pk").iterator():
        New.objects.create(
            pk=old.pk,
            kind=old.kind,
            incident_id=old.incident_id,
            channel=old.channel,
            address=old.address,
            recipient=old.recipient.call_sign,
            signing_secret=secrets.get(old.recipient_id, "") if old.channel == "webhook" else "",
            subject=header_line(old.subject),
            body=old.body,
            status=old.status,
            attempts=old.attempts,
            next_attempt_at=now if old.status in PENDING else None,
            last_error=old.error,
            created_at=old.created_at,
            sent_at=old.sent_at,
            confirmed_by_id=old.confirmed_by_id,
            confirmed_at=old.confirmed_at,
        )
        if old.dispatch_id:
            dispatch_links.append(
                Dispatch.messages.through(dispatch_id=old.dispatch_id, message_id=old.pk)
            )
        if old.broadcast_id:
            broadcast_links.append(
                Broadcast.messages.through(broadcast_id=old.broadcast_id, message_id=old.pk)
            )
    Dispatch.messages.through.objects.bulk_create(dispatch_links)
    Broadcast.messages.through.objects.bulk_create(broadcast_links)
    # Ids were given explicitly: the next new message must not collide with them.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [New]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0002_roles"),
        ("messaging", "0001_outbox"),
    ]
    # The copy keeps the old ids, so it runs before any other migration writes a message.
    run_before = [("customer_care", "0002_updates_send_through_the_outbox")]

    operations = [
        # The old table's reverse accessors step aside for the new "messages" fields.
        migrations.AlterField(
            model_name="message",
            name="dispatch",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="legacy_messages",
                to="dispatch.dispatch",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="broadcast",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="legacy_messages",
                to="dispatch.broadcast",
            ),
        ),
        migrations.AddField(
            model_name="broadcast",
            name="messages",
            field=models.ManyToManyField(blank=True, related_name="+", to="messaging.message"),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="messages",
            field=models.ManyToManyField(blank=True, related_name="+", to="messaging.message"),
        ),
        migrations.RunPython(copy_to_outbox, migrations.RunPython.noop),
        migrations.DeleteModel(name="Message"),
    ]
