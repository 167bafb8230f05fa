from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create (or show the existing) API token of a user, for the Authorization header."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"There is no user “{username}”.") from None
        if not user.is_active:
            raise CommandError(f"{username} is not active: an API token would not work.")
        token, created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
        if created:
            self.stderr.write(f"Created. Send it as: Authorization: Token {token.key}")
