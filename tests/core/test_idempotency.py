"""Every unsafe API endpoint honours Idempotency-Key: the first answer is replayed, another
body is refused, nothing is applied twice. The routes come from the URLconf, so a new
endpoint without the mechanism (or without an example here) fails this module."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import Sum
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from core import idempotency
from core.models import IdempotencyKey
from dispatch.models import ResourceGroup
from escalation import services as escalation_services
from incidents.models import Incident
from tests.factories import agent, log, minor, resolve, resource, send, supervisor
from tests.incidents.api_support import client_for, new_call

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")
OUR_APPS = ("incidents", "messaging", "customer_care", "dispatch", "escalation")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def unsafe_routes() -> dict[str, object]:
    """'METHOD pattern' → the handler, for every unsafe API operation the URLconf serves."""
    routes = {}
    for pattern, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if not pattern.startswith("api/") or cls is None:
            continue
        actions = getattr(callback, "actions", None)  # a viewset: method → action name
        for method in UNSAFE:
            name = actions.get(method) if actions is not None else method
            if name and hasattr(cls, name):
                routes[f"{method.upper()} {pattern}"] = getattr(cls, name)
    return routes


# ---- One working request per route: (user, url, body) after the setup it needs ----------


def _escalated(incident):
    escalation_services.escalate_manually(
        incident_id=incident.pk, actor=agent(), reason="Beyond my authority", team=""
    )
    return incident


def _linked_child():
    parent, child = log(), log(summary="Drip in the corridor")
    client_for(agent()).post(
        f"/api/incidents/{child.pk}/link/", {"parent": parent.reference}, format="json"
    )
    return child


EXAMPLES = {
    "POST api/^incidents/$": lambda: (agent(), "/api/incidents/", new_call()),
    "PATCH api/^incidents/(?P<pk>[0-9]{1,18})/$": lambda: (
        agent(),
        f"/api/incidents/{log().pk}/",
        {"summary": "Ceiling has collapsed", "version": 1},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/status/$": lambda: (
        agent(),
        f"/api/incidents/{minor().pk}/status/",
        {"status": "cancelled", "reason": "Caller fixed it themselves"},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/reprioritise/$": lambda: (
        supervisor(),
        f"/api/incidents/{log().pk}/reprioritise/",
        {"impact": 1, "urgency": 1, "reason": "Now near the switchboard", "version": 1},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/link/$": lambda: (
        agent(),
        f"/api/incidents/{log(summary='Second call').pk}/link/",
        {"parent": log().reference},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/unlink/$": lambda: (
        agent(),
        f"/api/incidents/{_linked_child().pk}/unlink/",
        {"reason": "A different leak"},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/confirm-details/$": lambda: (
        agent(),
        f"/api/incidents/{log().pk}/confirm-details/",
        {},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/updates/$": lambda: (
        agent(),
        f"/api/incidents/{log(caller_email='ruth@example.org').pk}/updates/",
        {"channel": "email", "message": "A plumber is on the way.", "send": True},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/resolve/$": lambda: (
        agent(),
        f"/api/incidents/{log(caller_email='ruth@example.org').pk}/resolve/",
        {"code": "fixed", "notes": "Joint replaced."},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/close/$": lambda: (
        agent(),
        f"/api/incidents/{resolve(log()).pk}/close/",
        {"method": "phone", "confirmed_by": "Ruth"},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/reopen/$": lambda: (
        agent(),
        f"/api/incidents/{resolve(log()).pk}/reopen/",
        {"reason": "Dripping again"},
    ),
    "POST api/^incidents/(?P<pk>[0-9]{1,18})/satisfaction/$": lambda: (
        agent(),
        f"/api/incidents/{resolve(log()).pk}/satisfaction/",
        {"score": 5, "comment": "Fast"},
    ),
    "POST api/incidents/<int:pk>/dispatches/": lambda: (
        supervisor(),
        f"/api/incidents/{log().pk}/dispatches/",
        {
            "resource": resource("FAC-1", contacts={"email": "sam@example.org"}).pk,
            "channel": "email",
            "briefing": "Go to Block B",
        },
    ),
    "POST api/dispatches/<int:pk>/progress/": lambda: (
        supervisor(),
        f"/api/dispatches/{send(log(), resource('FAC-1')).pk}/progress/",
        {"step": "acknowledged"},
    ),
    "POST api/messages/<int:pk>/confirm-briefing/": lambda: (
        supervisor(),
        f"/api/messages/{send(log(), resource('FAC-1')).messages.get().pk}/confirm-briefing/",
        {},
    ),
    "POST api/broadcasts/": lambda: (
        supervisor(),
        "/api/broadcasts/",
        {
            "incident": log().pk,
            "group": (
                resource("FAC-1", groups=["North"], contacts={"email": "f@example.org"})
                and ResourceGroup.objects.get().pk
            ),
            "channel": "email",
            "body": "Water off",
        },
    ),
    "POST api/incidents/<int:pk>/acknowledge-escalation/": lambda: (
        supervisor(),
        f"/api/incidents/{_escalated(log()).pk}/acknowledge-escalation/",
        {},
    ),
    "POST api/incidents/<int:pk>/acknowledge/": lambda: (
        supervisor(),
        f"/api/incidents/{log().pk}/acknowledge/",
        {"reason": "Caller's landlord on site, stopcock closed"},
    ),
    "POST api/incidents/<int:pk>/escalate/": lambda: (
        agent(),
        f"/api/incidents/{log().pk}/escalate/",
        {"reason": "Beyond my authority"},
    ),
    "POST api/incidents/<int:pk>/reapply-policy/": lambda: (
        supervisor(),
        f"/api/incidents/{log().pk}/reapply-policy/",
        {"reason": "New rota"},
    ),
}


def state() -> tuple:
    """Every row count of the domain apps and the sum of incident versions: any write
    changes one of them."""
    counts = tuple(
        (model._meta.label, model._default_manager.count())
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
    )
    return counts, Incident.objects.aggregate(v=Sum("version"))["v"]


def call(user, method: str, url: str, body, key: str):
    api = client_for(user)
    return getattr(api, method.lower())(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_every_unsafe_route_has_an_example_here():
    assert sorted(unsafe_routes()) == sorted(EXAMPLES)


@pytest.mark.parametrize("route", sorted(unsafe_routes()))
def test_every_unsafe_route_is_wrapped_by_the_idempotency_mechanism(route):
    assert getattr(unsafe_routes()[route], "idempotent", False), route


@pytest.mark.parametrize("route", sorted(EXAMPLES))
def test_a_retry_with_the_key_replays_the_first_answer_and_changes_nothing(route, reference_data):
    # given a first request that was applied
    method = route.split()[0]
    user, url, body = EXAMPLES[route]()
    first = call(user, method, url, body, "retry-1")
    assert 200 <= first.status_code < 300, first.content
    assert first["Outcome"] == "applied"
    after_first = state()

    # when the client retries it (its answer was lost)
    retry = call(user, method, url, body, "retry-1")

    # then the first answer comes back and nothing was applied again
    assert retry.status_code == first.status_code
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert state() == after_first


@pytest.mark.parametrize("route", sorted(EXAMPLES))
def test_the_same_key_with_another_body_is_refused_with_422(route, reference_data):
    method = route.split()[0]
    user, url, body = EXAMPLES[route]()
    call(user, method, url, body, "retry-1")
    after_first = state()

    other = call(user, method, url, {**body, "note": "something else"}, "retry-1")

    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert other["Outcome"] == "not-applied"
    assert state() == after_first


def test_every_write_answer_lists_what_is_pending(reference_data):
    incident = log(caller_email="ruth@example.org")

    answer = client_for(agent()).post(
        f"/api/incidents/{incident.pk}/updates/",
        {"channel": "email", "message": "On our way.", "send": True},
        format="json",
    )

    assert answer.json()["pending"] == [idempotency.DELIVERY_QUEUED]


def test_a_refused_request_is_not_remembered_so_its_retry_runs_afresh(reference_data):
    incident = log()
    api = client_for(agent())
    url = f"/api/incidents/{incident.pk}/resolve/"

    refused = api.post(url, {"code": "fixed", "notes": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert refused.status_code == 400 and refused["Outcome"] == "not-applied"
    assert not IdempotencyKey.objects.exists()


def test_keys_are_per_user(reference_data):
    first, second = agent(), agent()

    mine = call(first, "POST", "/api/incidents/", new_call(), "shared")
    theirs = call(second, "POST", "/api/incidents/", new_call(), "shared")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_the_same_key_on_another_url_is_refused(reference_data):
    user = agent()
    call(user, "POST", f"/api/incidents/{log().pk}/confirm-details/", {}, "k")

    other = call(user, "POST", f"/api/incidents/{log().pk}/confirm-details/", {}, "k")

    assert other.status_code == 422


def test_an_expired_key_is_forgotten_and_may_name_a_new_request(reference_data):
    user = agent()
    first = call(user, "POST", "/api/incidents/", new_call(), "k1")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=2))

    second = call(user, "POST", "/api/incidents/", new_call(summary="Another"), "k1")

    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in second


def test_purge_removes_only_expired_keys(reference_data):
    user = agent()
    for key in ("old", "new"):
        call(user, "POST", "/api/incidents/", new_call(summary=key), key)
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=2))

    assert idempotency.purge_expired() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_schema_documents_the_key_once_and_on_every_unsafe_operation(reference_data):
    schema = (
        client_for(agent())
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )

    assert schema["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
    unsafe = [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert len(unsafe) == len(EXAMPLES)
    for path, method, operation in unsafe:
        refs = [p.get("$ref") for p in operation["parameters"]]
        assert refs.count("#/components/parameters/IdempotencyKey") == 1, (method, path)
        assert "422" in operation["responses"], (method, path)
