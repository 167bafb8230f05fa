from celery import shared_task

from privacy import services


@shared_task(name="privacy.anonymise_due")
def anonymise_due() -> list[str]:
    """Beat, daily: closed incidents past their retention period lose their caller."""
    return services.anonymise_due()
