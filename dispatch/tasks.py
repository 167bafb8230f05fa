from celery import shared_task
from django.conf import settings

from dispatch import services


@shared_task(
    bind=True,
    name=services.DELIVER_TASK,
    acks_late=True,  # a redelivery is harmless: the service claims the message first
    max_retries=settings.DISPATCH_DELIVERY_MAX_RETRIES,
)
def deliver_message(self, message_id: int) -> str:
    """Send one queued message through its channel's adapter, retrying with backoff."""
    try:
        return services.attempt_delivery(
            message_id=message_id, final_attempt=self.request.retries >= self.max_retries
        )
    except services.TemporaryDeliveryFailure as failure:
        raise self.retry(countdown=services.retry_delay(self.request.retries)) from failure
