"""What leaves for a customer, and the one function that sends it.

send_to_customer sends through the dispatch channel adapters: email to the caller's address,
SMS to the caller's phone through the organisation's SMS gateway.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from customer_care.models import CustomerUpdate, SatisfactionLink, UpdateChannel
from messaging import adapters


def send_to_customer(*, channel: str, to: str, subject: str, body: str, reference: str) -> None:
    """Send one message through the dispatch adapters. Raises OSError (email: smtplib's
    errors) or adapters.DeliveryFailed (SMS) when it did not leave."""
    if channel == UpdateChannel.EMAIL:
        adapters.send_email(to=[to], subject=subject, body=body)
    elif channel == UpdateChannel.SMS:
        adapters.send_sms(to=to, text=body, reference=reference)
    else:
        raise ValueError(f"No adapter sends {channel}.")


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
