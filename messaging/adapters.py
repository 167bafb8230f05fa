"""One small adapter per channel, behind one interface: `send(message)`.

Email goes through Django's email backend. Webhook, SMS, pager and instant message are
signed JSON POSTs: to the resource's own URL (webhook) or to the organisation's gateway for
that channel (settings). Radio and phone are voice: nothing is sent, the dispatcher's
confirmation is the record, so they have no adapter here.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

from messaging.channels import Channel
from messaging.rendering import header_line

SIGNATURE_HEADER = "X-IncidentDesk-Signature"
TIMESTAMP_HEADER = "X-IncidentDesk-Timestamp"


class DeliveryFailed(Exception):
    def __init__(self, error: str, *, retryable: bool):
        self.retryable = retryable
        super().__init__(error)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", so a captured body cannot be replayed later."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300):
    """What a receiver does: the signature matches and the timestamp is recent."""
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def send_email(*, to: list[str], subject: str, body: str) -> None:
    """The email channel: Django's email backend. Raises OSError (smtplib's errors are
    OSErrors) when the server did not accept it."""
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to).send(
        fail_silently=False
    )


class EmailAdapter:
    def send(self, message) -> None:
        try:
            send_email(
                to=[message.address], subject=header_line(message.subject), body=message.body
            )
        except Exception as error:  # SMTP and socket errors: the server may come back
            raise DeliveryFailed(f"Email not accepted: {error}", retryable=True) from error


class SignedPostAdapter:
    """A signed JSON POST; `gateway` names the settings for an organisation-wide gateway."""

    def __init__(self, gateway: str | None = None):
        self.gateway = gateway

    def target(self, message) -> tuple[str, str]:
        if self.gateway is None:
            if not message.address or not message.signing_secret:
                raise DeliveryFailed("The resource has no webhook endpoint.", retryable=False)
            return message.address, message.signing_secret
        return self.gateway_target()

    def gateway_target(self) -> tuple[str, str]:
        url, secret = settings.DISPATCH_GATEWAYS.get(self.gateway, ("", ""))
        if not url or not secret:
            raise DeliveryFailed(
                f"No {self.gateway.upper()} gateway is configured "
                f"({self.gateway.upper()}_GATEWAY_URL and _SECRET).",
                retryable=False,
            )
        return url, secret

    def payload(self, message) -> dict:
        return {
            "message_id": message.pk,
            "kind": message.kind,
            "channel": message.channel,
            "to": message.address,
            "subject": header_line(message.subject),
            "text": message.body,
            "incident": message.incident.reference if message.incident_id else None,
        }

    def send(self, message) -> None:
        url, secret = self.target(message)
        post_signed(url=url, secret=secret, payload=self.payload(message))


def post_signed(*, url: str, secret: str, payload: dict) -> None:
    """One signed JSON POST; raises DeliveryFailed, retryable for timeouts, 408, 429, 5xx."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - URLs are http(s), checked on save
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "IncidentDesk",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.DISPATCH_WEBHOOK_TIMEOUT
        ) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        # A refusal (4xx) will not change on retry; timeouts, throttling and 5xx may.
        retryable = error.code >= 500 or error.code in (408, 429)
        raise DeliveryFailed(f"{url} answered {error.code}", retryable=retryable) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"{url} unreachable: {reason}", retryable=True) from error


ADAPTERS = {
    Channel.EMAIL: EmailAdapter(),
    Channel.WEBHOOK: SignedPostAdapter(),
    Channel.SMS: SignedPostAdapter("sms"),
    Channel.PAGER: SignedPostAdapter("pager"),
    Channel.IM: SignedPostAdapter("im"),
}


def adapter_for(channel: str):
    return ADAPTERS[channel]
