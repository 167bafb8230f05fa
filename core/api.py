"""API plumbing every app's endpoints share: the JSON parser, the permission class, the
error shapes in the schema, and the handler that turns domain errors into clear answers."""

import logging

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


def exception_handler(exc, context):
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
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(
        {"detail": "Something went wrong on our side; the request was not applied."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
