"""Signed, expiring status links: a resource reports progress without a login."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from dispatch.errors import StatusLinkInvalid

SALT = "dispatch.status-link"


def token_for(dispatch_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(dispatch_id))


def status_url(dispatch_id: int) -> str:
    """The absolute link sent with a written briefing."""
    path = reverse("dispatch:status-link", args=[token_for(dispatch_id)])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def dispatch_id_from(token: str) -> int:
    """The dispatch a token names; StatusLinkInvalid says why it cannot be used."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign(token, max_age=settings.DISPATCH_STATUS_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise StatusLinkInvalid(
            "This status link has expired. Call the control room to report your status."
        ) from None
    except signing.BadSignature:
        raise StatusLinkInvalid(
            "This status link is not valid. Use the link from your briefing as it was sent, "
            "or call the control room."
        ) from None
    return int(value)
