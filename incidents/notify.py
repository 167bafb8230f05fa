"""What leaves for a customer, and the one function that sends it.

send_to_customer sends through the dispatch channel adapters: email today (the caller's
address); SMS to a caller would go through the SMS gateway adapter from here.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from dispatch import adapters
from incidents.care_models import CustomerUpdate, SatisfactionLink, UpdateChannel


def send_to_customer(*, channel: str, to: str, subject: str, body: str) -> None:
    """Send one message; raises OSError (smtplib's errors included) when it did not leave."""
    if channel != UpdateChannel.EMAIL:
        raise ValueError(f"No adapter sends {channel} yet.")
    adapters.send_email(to=[to], subject=subject, body=body)


def customer_update_message(update: CustomerUpdate) -> tuple[str, str]:
    incident = update.incident
    subject = f"Update on your report {incident.reference}"
    body = render_to_string(
        "incidents/email/customer_update.txt", {"update": update, "incident": incident}
    )
    return subject, body


def survey_message(link: SatisfactionLink, token: str) -> tuple[str, str]:
    incident = link.incident
    url = settings.SITE_URL + reverse("satisfaction", args=[token])
    subject = f"How did we do? {incident.reference} is resolved"
    body = render_to_string(
        "incidents/email/satisfaction.txt", {"incident": incident, "link": link, "url": url}
    )
    return subject, body
