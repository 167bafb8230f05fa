from celery import shared_task

from customer_care import services as care


@shared_task(name="customer_care.close_unconfirmed")
def close_unconfirmed() -> list[str]:
    return care.close_unconfirmed()
