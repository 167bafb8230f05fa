import logging

from asgiref.sync import iscoroutinefunction, sync_to_async
from axes.helpers import get_lockout_response
from axes.middleware import AxesMiddleware
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render

from core.tokens import LockedOut
from incidentdesk import health, scrape

logger = logging.getLogger(__name__)


class SessionSavedAfterTheAnswer(SessionMiddleware):
    """Django's session middleware, except that a failure to save the session after the
    view (every request saves it: the idle deadline moves) never replaces the view's answer.
    A write that committed must still say so (core/idempotency.py); the session keeps its
    old deadline this once."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except DatabaseError:
            logger.exception("Could not save the session after %s", request.path)
            return response


class PagesRequireLogin(LoginRequiredMiddleware):
    """Every page needs a login, so a new page is private unless it says otherwise.

    The API is left to DRF, which answers 401/403 in JSON instead of redirecting, and
    accepts tokens that this middleware cannot see.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStore:
    """Pages and API answers carry callers' names, phones and addresses: no browser or proxy
    may keep a copy (a shared contact-centre PC, a back button after logout). Static files
    never reach here (WhiteNoise answers them first); a view that sets its own Cache-Control
    keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class PermissionsPolicy:
    """Django sets the other security headers; this one it has no setting for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestLimits:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE or a form over DATA_UPLOAD_MAX_NUMBER_FIELDS
    is a 413 with a reason (JSON for the API, a page for forms) instead of the 500 or bare
    400 Django and DRF give when the limit trips deep inside a parser."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in self.UNSAFE:
            try:
                # Reading them here applies both limits before anything else parses.
                request.body  # noqa: B018
                request.POST  # noqa: B018
            except RequestDataTooBig:
                return self._refuse(request, "The request body is too large.")
            except TooManyFieldsSent:
                return self._refuse(request, "The form has too many fields.")
        return self.get_response(request)

    @staticmethod
    def _refuse(request, reason):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": reason}, status=413)
        return render(request, "413.html", {"reason": reason}, status=413)


class SessionLifetime:
    """Sessions expire after SESSION_IDLE_MINUTES without a request (SESSION_SAVE_EVERY_REQUEST
    moves the deadline on each one). A board-only login (the Kiosk role: a wall board, no
    incident pages, no caller details) gets KIOSK_SESSION_DAYS instead. Decided once per
    session, after the view ran: the permissions are usually loaded by then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = request.user
        if user.is_authenticated and "_session_expiry" not in request.session:
            request.session.set_expiry(
                settings.KIOSK_SESSION_DAYS * 24 * 3600
                if is_board_only(user)
                else settings.SESSION_COOKIE_AGE
            )
        return response


def is_board_only(user) -> bool:
    return user.has_perm("incidents.view_board") and not user.has_perm("incidents.view_incident")


class LockoutResponse(AxesMiddleware):
    """django-axes's middleware, turning a lockout into the answer: the "Login locked" page,
    or JSON for the API (a token client reads no HTML). Also mends axes 8.3's ASGI path,
    whose __acall__ passes the credentials where get_lockout_response expects the original
    response (under Daphne the page lost the login name and failure limit)."""

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        response = self.get_response(request)
        return self._lockout(request, response) if _locked_out(request) else response

    async def __acall__(self, request):
        response = await self.get_response(request)
        if not _locked_out(request):
            return response
        return await sync_to_async(self._lockout, thread_sensitive=True)(request, response)

    @staticmethod
    def _lockout(request, response):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": LockedOut.default_detail}, status=429)
        credentials = getattr(request, "axes_credentials", None)
        return get_lockout_response(request, response, credentials)


def _locked_out(request) -> bool:
    return settings.AXES_ENABLED and bool(getattr(request, "axes_locked_out", None))


class Probes:
    """Answers /healthz, /readyz and /metrics before any other middleware: before the host
    check (kubelets and Prometheus call a pod by its IP, which ALLOWED_HOSTS does not
    list), sessions and login. Nothing else is served on these paths."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": scrape.view}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        return view(request) if view else self.get_response(request)
