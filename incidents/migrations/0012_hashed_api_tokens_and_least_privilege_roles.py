"""API tokens move from DRF's authtoken table (keys in clear) to django-rest-knox (SHA-512
digests, expiring). Each existing key is hashed as knox hashes its own, so integrations
keep working with the key they have; it now expires after API_TOKEN_DAYS. The cleartext
rows are deleted. Then the roles are reinstalled: Admin is no longer a superuser in all but
name, and the Kiosk role (a wall board) appears."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from incidents import roles


def hash_existing_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    OldToken = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + knox_settings.TOKEN_TTL
    AuthToken.objects.bulk_create(
        AuthToken(
            digest=hash_token(old.key),
            token_key=old.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=old.user_id,
            expiry=expiry,
        )
        for old in OldToken.objects.all()
    )
    OldToken.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_event_kinds_alerts_closed_and_response_met"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
        ("axes", "0010_accessattemptexpiration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
        migrations.RunPython(roles.install_in_migration, migrations.RunPython.noop),
    ]
