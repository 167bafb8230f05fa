"""API tokens: hashed at rest (django-rest-knox), and under the same lockout as passwords.

Failed token attempts count (django-axes) under one pseudo login per client address, so a
client guessing tokens is locked out like one guessing passwords, and while it is locked
out even a genuine token from that address is refused (429) until the cool-off or an
unlock (`manage.py axes_reset_username api-token`).
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework import exceptions

# The login name token failures are counted under (with the client's address).
TOKEN_LOGIN = "api-token"  # noqa: S105 (a login name, not a password)
CREDENTIALS = {"username": TOKEN_LOGIN}


class LockedOut(exceptions.Throttled):
    default_detail = "Too many failed sign-in attempts from this address: try again later."


class LockableTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        django_request = request._request
        header = self.authenticate_header(request)
        if not request.headers.get("Authorization", "").lower().startswith(header.lower()):
            return None
        if AxesProxyHandler.is_locked(django_request, CREDENTIALS):
            raise LockedOut()
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            user_login_failed.send(sender=__name__, credentials=CREDENTIALS, request=django_request)
            raise


class LockableTokenScheme(KnoxTokenScheme):
    """The schema describes it as knox's token header (it is one)."""

    target_class = "core.tokens.LockableTokenAuthentication"
