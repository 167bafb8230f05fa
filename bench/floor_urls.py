"""The project's URLs plus the floor of bench/create_latency.py: one INSERT, as JSON.

The floor runs in the same Daphne process, through the same middleware, on the same
database, so "app minus floor" is what logging an incident adds to a bare write.
"""

import json

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidentdesk.urls import urlpatterns as project_urls

FLOOR_TABLE = "bench_floor"


@login_not_required  # no session, no user: the floor is the write alone
@csrf_exempt
@require_POST
def floor(request):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (body, at) VALUES (%s, now()) RETURNING id",  # noqa: S608
            [json.dumps(json.loads(request.body))],
        )
        (pk,) = cursor.fetchone()
    return JsonResponse({"id": pk}, status=201)


urlpatterns = [path("bench/floor/", floor), *project_urls]
