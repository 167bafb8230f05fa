"""The page a person sees when a request failed on our side: never a traceback, and it says
whether what they sent was saved."""

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader

from core.api import UNREACHABLE, UNSAFE, failure_answer
from core.idempotency import CommitUnknown

# Rendered without a request context: the database may be what failed, so nothing here may
# need it (no user, no session, no messages).
PAGE = "core/failed.html"


def server_error(request):
    """handler500: called while the exception is being handled, so sys.exc_info() has it."""
    error = sys.exc_info()[1]
    code, body, headers = failure_answer(error)
    if request.path.startswith("/api/"):
        return JsonResponse(body, status=code, headers=headers)
    sent_something = request.method in UNSAFE
    context = {
        "unknown": isinstance(error, CommitUnknown),
        "unreachable": isinstance(error, UNREACHABLE),
        "sent_something": sent_something,
    }
    page = loader.get_template(PAGE).render(context)
    # A page that failed is a 503 when trying again later will do; 500 only when unknown.
    status = code if code != 500 or context["unknown"] else 503
    return HttpResponse(page, status=status, headers=headers)
