from celery import shared_task

from customer_care import notify
from customer_care import services as care
from customer_care.models import CustomerUpdate, DeliveryStatus, SatisfactionLink
from messaging.adapters import DeliveryFailed

# Sending is external I/O: a bounded number of retries with growing waits, then the failure
# is recorded on the timeline for a person to act on.
SEND_RETRIES = 4
SEND_BACKOFF_SECONDS = 30


@shared_task(name="customer_care.close_unconfirmed")
def close_unconfirmed() -> list[str]:
    return care.close_unconfirmed()


def _backoff(task) -> int:
    return SEND_BACKOFF_SECONDS * 2**task.request.retries


@shared_task(bind=True, name="customer_care.send_customer_update", max_retries=SEND_RETRIES)
def send_customer_update(self, update_id: int) -> None:
    update = (
        CustomerUpdate.objects.select_related("incident", "actor")
        .filter(pk=update_id, delivery_status=DeliveryStatus.QUEUED)
        .first()
    )
    if update is None:  # gone, or a redelivery of one already sent
        return
    subject, body = notify.customer_update_message(update)
    try:
        notify.send_to_customer(
            channel=update.channel,
            to=update.recipient,
            subject=subject,
            body=body,
            reference=update.incident.reference,
        )
    except (OSError, DeliveryFailed) as error:
        # A refusal that will not change (no SMS gateway configured, a 4xx) is final at once.
        final = self.request.retries >= self.max_retries or not getattr(error, "retryable", True)
        care.mark_update_failed(update_id=update_id, error=str(error), final=final)
        if final:
            return
        raise self.retry(exc=error, countdown=_backoff(self)) from error
    care.mark_update_sent(update_id=update_id)


@shared_task(bind=True, name="customer_care.send_satisfaction_link", max_retries=SEND_RETRIES)
def send_satisfaction_link(self, link_id: int) -> None:
    link = (
        SatisfactionLink.objects.select_related("incident")
        .filter(pk=link_id, sent_at__isnull=True)
        .first()
    )
    if link is None:
        return
    subject, body = notify.survey_message(link, care.survey_token(link))
    try:
        notify.send_to_customer(
            channel="email",
            to=link.sent_to,
            subject=subject,
            body=body,
            reference=link.incident.reference,
        )
    except OSError as error:
        if self.request.retries >= self.max_retries:
            return  # no survey for this customer; the resolution stands
        raise self.retry(exc=error, countdown=_backoff(self)) from error
    care.mark_survey_sent(link_id=link_id)
