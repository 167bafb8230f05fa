"""What leaves for a customer: the subject and body of an update or a survey email.

The services put them in the outbox (messaging.services.enqueue), which folds the subject
to one header-safe line and sends email to the caller's address, SMS to the caller's phone
through the organisation's SMS gateway.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from customer_care.models import CustomerUpdate, SatisfactionLink


def customer_update_message(update: CustomerUpdate) -> tuple[str, str]:
    incident = update.incident
    subject = f"Update on your report {incident.reference}"
    body = render_to_string(
        "customer_care/email/customer_update.txt", {"update": update, "incident": incident}
    )
    return subject, body


def survey_message(link: SatisfactionLink, token: str) -> tuple[str, str]:
    incident = link.incident
    url = settings.SITE_URL + reverse("satisfaction", args=[token])
    subject = f"How did we do? {incident.reference} is resolved"
    body = render_to_string(
        "customer_care/email/satisfaction.txt", {"incident": incident, "link": link, "url": url}
    )
    return subject, body
