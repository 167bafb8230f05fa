"""Domain errors become clear JSON answers; nothing reaches the client as a 500."""

import logging

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incidents.errors import (
    Conflict,
    IdempotencyMismatch,
    IncidentError,
    IncidentInvalid,
    InvalidTransition,
)

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, IncidentInvalid):
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
    if isinstance(exc, IncidentError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(
        {"detail": "Something went wrong on our side; the request was not applied."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
