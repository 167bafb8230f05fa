from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken
from knox.settings import knox_settings


class Command(BaseCommand):
    help = (
        "Make a new API token for a user and print it. Only its digest is stored: this is the "
        "one time it can be read. Revoke tokens in admin (Knox › Auth tokens)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Days until it expires (default {knox_settings.TOKEN_TTL.days}, API_TOKEN_DAYS).",
        )

    def handle(self, *args, username, days, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"There is no user “{username}”.") from None
        if not user.is_active:
            raise CommandError(f"{username} is not active: an API token would not work.")
        expiry = timedelta(days=days) if days else knox_settings.TOKEN_TTL
        token, secret = AuthToken.objects.create(user=user, expiry=expiry)
        self.stdout.write(secret)
        self.stderr.write(
            f"Expires {token.expiry:%Y-%m-%d %H:%M} UTC. It is not stored: keep it now. "
            f"Send it as: Authorization: Token {secret}"
        )
