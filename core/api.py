"""API plumbing every app's endpoints share: the JSON parser, the permission class, the
error shapes in the schema, and the handler that turns domain errors into clear answers."""

import logging

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import (
    Conflict,
    DomainError,
    IdempotencyMismatch,
    Invalid,
    InvalidTransition,
    NotPermitted,
)
from core.idempotency import HEADER, REPLAYED, CommitUnknown


class JSONBodyParser(JSONParser):
    """JSON, where nesting too deep for the decoder is a 400 like any other bad JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


class ModelPermissionsByAction(permissions.BasePermission):
    """The Django model permissions each action needs, named by the view in `required_perms`.

    A handler the view does not name is refused, so a new endpoint is closed until it says
    what it needs; a method the view has no handler for goes on to its 405.
    """

    def has_permission(self, request, view):
        if request.method == "OPTIONS":
            return True
        method = "get" if request.method == "HEAD" else request.method.lower()
        handler = getattr(view, "action", None) or method
        if handler in view.required_perms:
            return request.user.has_perms(view.required_perms[handler])
        return not hasattr(view, handler)


API_PERMISSIONS = [permissions.IsAuthenticated, ModelPermissionsByAction]


ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Invalid input: each field named with its messages."
)
CONFLICT = OpenApiResponse(
    inline_serializer(
        "Conflict",
        {
            "detail": serializers.CharField(),
            "current_version": serializers.IntegerField(
                required=False, help_text="Sent when someone else changed it meanwhile."
            ),
        },
    ),
    description="Changed by someone else since you read it, or a transition not allowed now.",
)

logger = logging.getLogger(__name__)

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A service that cannot be reached before commit: nothing was applied, try again soon.
UNREACHABLE = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)
RETRY_AFTER_SECONDS = 5
NOT_APPLIED = "not-applied"


def failure_answer(exc) -> tuple[int, dict, dict]:
    """(status, body, headers) for an error no service turned into a refusal. The write
    unit (core/idempotency.py) rolled back anything raised before commit, so it was not
    applied, except when COMMIT itself failed: then nobody knows, and the answer says so."""
    if isinstance(exc, CommitUnknown):
        detail = (
            "The database failed while saving this: it may or may not have been applied. "
            "Send it again with the same Idempotency-Key to find out (a replayed answer "
            "means it was applied), or reload before doing it again."
        )
        return 500, {"detail": detail, "outcome": "unknown"}, {"Outcome": "unknown"}
    if isinstance(exc, UNREACHABLE):
        detail = (
            "A service we depend on is unreachable right now; nothing was changed. "
            f"Try again in a few seconds (send the same {HEADER} to be safe)."
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Outcome": NOT_APPLIED}
        return 503, {"detail": detail, "outcome": "not_applied"}, headers
    detail = "Something went wrong on our side; nothing was changed."
    return 500, {"detail": detail, "outcome": "not_applied"}, {"Outcome": NOT_APPLIED}


def exception_handler(exc, context):
    response = _refusal(exc, context)
    request = context.get("request")
    if response is not None and request is not None and request.method in UNSAFE:
        response.headers.setdefault("Outcome", NOT_APPLIED)
    return response


def _refusal(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, Invalid):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response(
            {"detail": str(exc), "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IdempotencyMismatch):
        return Response({"detail": str(exc)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, InvalidTransition):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotPermitted):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    logger.error("API request failed", exc_info=exc)
    code, body, headers = failure_answer(exc)
    return Response(body, status=code, headers=headers)


# ---- The schema: the idempotency header, once, on every unsafe operation -------------------

IDEMPOTENCY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": (
        "Makes a retry safe. The first request's answer is stored with the key (per user, "
        "for IDEMPOTENCY_KEY_TTL_HOURS); sending the same key with the same body again "
        f"replays that answer with `{REPLAYED}: true` and changes nothing; the same key "
        "with another body or URL is refused with 422. A request still running with the "
        "key makes the second one wait for its answer. Refusals (4xx) and failures are not "
        "stored: nothing was applied, so the retry runs afresh. Every write answer also "
        "says `Outcome: applied | not-applied | unknown`, and a 2xx body lists in `pending` "
        "what the write set in motion that has not happened yet (e.g. `delivery queued`)."
    ),
}


def idempotency_in_schema(result, generator, request, public):
    """drf-spectacular postprocessing hook: the header as one reusable component, referenced
    by every POST/PUT/PATCH/DELETE operation, with its 422 and the replay header."""
    components = result.setdefault("components", {})
    components.setdefault("parameters", {})["IdempotencyKey"] = IDEMPOTENCY_PARAMETER
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() not in UNSAFE:
                continue
            parameters = operation.setdefault("parameters", [])
            parameters[:] = [p for p in parameters if p.get("name") != HEADER]
            parameters.append(reference)
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "422",
                {"description": "The Idempotency-Key was used for another request."},
            )
            for code, answer in responses.items():
                if code.startswith("2"):
                    answer.setdefault("headers", {})[REPLAYED] = {
                        "schema": {"type": "string", "enum": ["true"]},
                        "description": "Present when this answer replays the first one.",
                    }
    return result
