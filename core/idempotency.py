"""Retry-safe writes with honest answers: one mechanism for every unsafe API endpoint and
every page form.

A write runs as one unit: a transaction that also claims the client's Idempotency-Key (or
the form's hidden key) and stores the answer, built inside the transaction. So

- not applied: the transaction rolled back (a refusal, the database down before commit);
  the key is not remembered, and a retry runs the write afresh;
- applied: it committed, key and answer with it. Whatever runs after commit (the outbox
  hand-out, the board publish) can fail without changing that: nothing after commit is
  read for the answer or allowed to raise into it; what is still to happen is listed in
  `pending`;
- unknown: the database failed during COMMIT itself. A retry with the same key tells:
  replayed (`Idempotent-Replayed: true`) means it was applied, a fresh answer that it was not.

Concurrent requests with one key: the second's insert of the key waits on the unique index
until the first commits (then it replays the first answer) or rolls back (then it runs).
"""

import functools
import hashlib
import json
import logging
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.errors import IdempotencyMismatch
from core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
FORM_FIELD = "idempotency_key"
MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
# Answer headers a replay repeats.
KEPT_HEADERS = ("Location", "ETag")
# What the pending list says (messaging and the board publisher add to it).
DELIVERY_QUEUED = "delivery queued"
LIVE_UPDATE_PENDING = "live update pending"

_pending: ContextVar[list[str] | None] = ContextVar("pending_after_write", default=None)


class CommitUnknown(Exception):
    """The database failed during COMMIT: the write may or may not have been applied."""


def note_pending(what: str) -> None:
    """Something the write set in motion has not happened yet (said in the answer)."""
    pending = _pending.get()
    if pending is not None and what not in pending:
        pending.append(what)


# ---- The unit of work -------------------------------------------------------------------


@contextmanager
def write_unit():
    """One transaction whose commit is told apart from what runs after it: an error after
    commit (an on_commit callback) is logged, an error during commit is CommitUnknown."""
    committed = []
    atomic = transaction.atomic()
    atomic.__enter__()
    # First callback registered, so it runs first: past it, the write is safe on disk.
    transaction.on_commit(lambda: committed.append(True))
    try:
        yield
    except BaseException:
        if not atomic.__exit__(*sys.exc_info()):
            raise
        return
    try:
        atomic.__exit__(None, None, None)
    except Exception as error:
        if not committed:
            raise CommitUnknown(str(error)) from error
        logger.exception("After commit (the write is applied)")


def horizon() -> datetime:
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def purge_expired() -> int:
    """Forget keys older than their time to live; returns how many were removed."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=horizon()).delete()
    return deleted


def fingerprint(payload) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(*, user, key: str, method: str, path: str, digest: str):
    """Inside the write's transaction: (None, our new key row), or (the earlier key, None)
    when this key already answered the same request. Another request is refused."""
    while True:
        try:
            with transaction.atomic():
                mine = IdempotencyKey.objects.create(
                    user=user, key=key, method=method, path=path, fingerprint=digest
                )
            return None, mine
        except IntegrityError:
            earlier = IdempotencyKey.objects.filter(user=user, key=key).first()
        if earlier is None:
            continue  # the request holding it rolled back meanwhile: ours to use now
        if earlier.created_at < horizon():
            earlier.delete()  # expired: the key may name a new request now
            continue
        if (earlier.method, earlier.path, earlier.fingerprint) != (method, path, digest):
            raise IdempotencyMismatch(
                "This Idempotency-Key was already used for a different request. "
                "Use a new key for a new request."
            )
        return earlier, None


def _remember_pending(mine: IdempotencyKey, response) -> None:
    """So a replay says what the first answer said. Best effort: the write is applied, and
    a database gone after commit must not change its answer."""
    try:
        IdempotencyKey.objects.filter(pk=mine.pk).update(body=_json(response.data))
    except DatabaseError:
        logger.warning("Could not store the pending list of key %s", mine.pk, exc_info=True)


def _api_key(request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_LENGTH:
        raise ValidationError({HEADER: [f"Use at most {MAX_LENGTH} characters."]})
    return key


def _json(data):
    return json.loads(JSONRenderer().render(data) or b"null")


# ---- The API ----------------------------------------------------------------------------


def idempotent(handler):
    """For a DRF view's unsafe handler: one write unit, the Idempotency-Key honoured, the
    answer says what is still pending. A 2xx answer is remembered with the key; any other
    answer rolls the unit back (nothing was applied, so a retry may run afresh)."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = _api_key(request)
        digest = fingerprint(request.data) if key else ""
        pending: list[str] = []
        token = _pending.set(pending)
        try:
            with write_unit():
                earlier, mine = (None, None)
                if key:
                    earlier, mine = claim(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path,
                        digest=digest,
                    )
                if earlier is not None:
                    headers = {**earlier.headers, REPLAYED: "true", "Outcome": "applied"}
                    return Response(earlier.body, status=earlier.status_code, headers=headers)
                response = handler(view, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)
                    response["Outcome"] = "not-applied"
                    return response
                if isinstance(response.data, dict):
                    response.data = {**response.data, "pending": pending}
                if mine is not None:
                    mine.status_code = response.status_code
                    mine.body = _json(response.data)
                    mine.headers = {h: response[h] for h in KEPT_HEADERS if h in response}
                    mine.save(update_fields=["status_code", "body", "headers"])
                    noted = len(pending)
        finally:
            _pending.reset(token)
        # After commit: the callbacks may have added to `pending` (the same list object).
        if mine is not None and len(pending) > noted:
            _remember_pending(mine, response)
        response["Outcome"] = "applied"
        return response

    wrapper.idempotent = True
    return wrapper


# ---- The pages --------------------------------------------------------------------------


def idempotent_page(view):
    """For a page's POST view (a form that redirects): the form's hidden key (the
    `{% idempotency_key %}` tag) makes a double submit or a resend after a lost answer do
    nothing again; the person is told it was already done."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        key = request.POST.get(FORM_FIELD, "").strip()[:MAX_LENGTH]
        posted = sorted(
            (name, values)
            for name, values in request.POST.lists()
            if name not in {"csrfmiddlewaretoken", FORM_FIELD}
        )
        pending: list[str] = []
        token = _pending.set(pending)
        try:
            with write_unit():
                earlier, mine = (None, None)
                if key and request.user.is_authenticated:
                    try:
                        earlier, mine = claim(
                            user=request.user,
                            key=key,
                            method="POST",
                            path=request.path,
                            digest=fingerprint(posted),
                        )
                    except IdempotencyMismatch:
                        messages.error(request, "This form is out of date: reload the page.")
                        return HttpResponseRedirect(request.headers.get("Referer") or "/")
                if earlier is not None:
                    messages.info(
                        request,
                        "This form was already sent at "
                        f"{timezone.localtime(earlier.created_at):%H:%M:%S}; "
                        "nothing was done again.",
                    )
                    return HttpResponseRedirect(earlier.headers.get("Location", request.path))
                errors_before = _error_count(request)
                response = view(request, *args, **kwargs)
                refused = _error_count(request) > errors_before
                if refused or not isinstance(response, HttpResponseRedirect):
                    # Refused, or the form shown again with its errors: nothing was applied,
                    # and the key is not kept, so sending the form again tries again.
                    transaction.set_rollback(True)
                    return response
                if mine is not None:
                    mine.status_code = response.status_code
                    mine.headers = {"Location": response["Location"]}
                    mine.save(update_fields=["status_code", "headers"])
        finally:
            _pending.reset(token)
        # A person is told what they may wait for; the board's live update always follows
        # the answer by a moment (board/publisher.py), so a page does not mention it.
        waiting = [what for what in pending if what != LIVE_UPDATE_PENDING]
        if waiting:
            messages.info(request, "Still to happen: " + ", ".join(waiting) + ".")
        return response

    wrapper.idempotent = True
    return wrapper


def _error_count(request) -> int:
    # The messages this request added so far (the storage's own queue: reading it through
    # get_messages would mark them shown).
    queued = getattr(messages.get_messages(request), "_queued_messages", [])
    return sum(1 for message in queued if message.level >= messages.ERROR)
