"""Anonymise the callers of closed incidents past their retention period (as the beat task
does); --dry-run prints what would be anonymised and changes nothing."""

from django.core.management.base import BaseCommand

from privacy import services


class Command(BaseCommand):
    help = "Anonymise callers of closed incidents past the retention period (RETENTION_*)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what is due; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            due = services.due_for_anonymising()
            for incident in due:
                months = services.retention_months(incident.record_type)
                self.stdout.write(
                    f"{incident.reference} {incident.get_record_type_display()}, "
                    f"{incident.get_status_display().lower()}, last activity "
                    f"{incident.last_event_at:%Y-%m-%d} (keep {months} months)"
                )
            self.stdout.write(f"{len(due)} incident(s) would be anonymised (dry run).")
            return
        done = services.anonymise_due()
        for reference in done:
            self.stdout.write(f"{reference} anonymised")
        self.stdout.write(f"{len(done)} incident(s) anonymised.")
