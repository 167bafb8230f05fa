"""`manage.py check_beat`: exit 1 when beat's heartbeat is stale or missing (the beat
container's healthcheck; also what an operator runs to ask "is anything sweeping?")."""

from django.core.management.base import BaseCommand, CommandError

from incidentdesk import health


class Command(BaseCommand):
    help = "Fail when Celery beat's heartbeat is older than BEAT_STALE_SECONDS."

    def handle(self, *args, **options):
        status = health.beat_status()
        if not status["ok"]:
            raise CommandError(f"Beat is stale: {status}")
        self.stdout.write(f"Beat heartbeat {status['age_seconds']} s ago.")
