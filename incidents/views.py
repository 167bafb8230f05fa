"""Agent pages: parse the form, call one service, render. No writes happen here."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core import refusals
from core.errors import DomainError, Invalid
from core.idempotency import idempotent_page
from incidents import contact, selectors, services
from incidents.forms import (
    ConfirmForm,
    LinkForm,
    NewIncidentForm,
    ReprioritiseForm,
    StatusForm,
    UnlinkForm,
)
from incidents.models import Category, ContactVia, ImpactLevel, Incident, Priority, UrgencyLevel

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

LIST_VIEWS = {"open": "Open", "mine": "Mine, next update first", "all": "All"}


@require_GET
@login_not_required
def priority_colours(request):
    """One class per priority with its colour, so pages show the colours an admin chose
    without inline style attributes (the CSP allows none). No login: the login page uses
    the same stylesheet, and colours are no secret."""
    rules = [
        f".priority-{p.pk} {{ background-color: {p.colour}; }}"
        for p in Priority.objects.order_by("rank")
        # The model validates the colour; checked again because it goes into CSS as is.
        if COLOUR.fullmatch(p.colour)
    ]
    response = HttpResponse("\n".join(rules) + "\n", content_type="text/css")
    # Revalidated on every page: an admin's change shows at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def home(request):
    """Where a sign-in lands: the incident list, or the wall board for a board-only login
    (the Kiosk role), which may not see the list."""
    user = request.user
    if user.has_perm("incidents.view_board") and not user.has_perm("incidents.view_incident"):
        return redirect(f"{reverse('board:board')}?wall=1")
    return redirect("incidents:list")


@require_GET
@permission_required("incidents.view_incident", raise_exception=True)
def incident_list(request):
    view = request.GET.get("view") if request.GET.get("view") in LIST_VIEWS else "open"
    incidents = selectors.incidents_for_page(open_only=view == "open")
    incidents = selectors.with_next_update_due(incidents)
    order = ["priority__rank", "-created_at"]
    if view == "mine":
        # What needs a customer update next comes first.
        incidents = incidents.filter(created_by=request.user)
        order = [F("next_update_due").asc(nulls_last=True), *order]
    query = request.GET.get("q", "")[:200]
    try:
        incidents = selectors.search(
            incidents, query, caller_scope=contact.visible_condition(request.user)
        ).order_by(*order)
    except Invalid as refusal:
        return render(request, "400.html", {"reason": refusal.errors["q"][0]}, status=400)
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # masked below for display, so read once
    visible = contact.visible_ids(request.user, page.object_list)
    for incident in page.object_list:
        if incident.pk not in visible:
            contact.hide_in_text(incident)
    return render(
        request,
        "incidents/list.html",
        {"page": page, "view": view, "views": LIST_VIEWS, "q": query},
    )


@permission_required("incidents.add_incident", raise_exception=True)
@idempotent_page
def new_incident(request):
    form = NewIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            logged = services.log_incident(actor=request.user, **form.service_arguments())
        except Invalid as refused:
            refusals.add_to_form(form, refused)
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            return redirect(f"{reverse('incidents:detail', args=[logged.incident.pk])}?new=1")
    status = 400 if form.is_bound else 200
    return render(request, "incidents/new.html", {"form": form}, status=status)


def _level(model, value):
    return model.objects.filter(pk=value).first() if str(value).isdigit() else None


@require_GET
@permission_required("incidents.add_incident", raise_exception=True)
def new_incident_assist(request):
    """What the agent needs while typing: guidance, criteria, priority preview, duplicates."""
    category = _level(Category, request.GET.get("category", ""))
    impact = _level(ImpactLevel, request.GET.get("impact", ""))
    urgency = _level(UrgencyLevel, request.GET.get("urgency", ""))
    preview, problem = None, ""
    if impact and urgency:
        try:
            preview, _ = selectors.matrix_cell(impact=impact, urgency=urgency)
        except DomainError as missing:
            problem = str(missing)
    duplicates = selectors.likely_duplicates(
        category=category, location=request.GET.get("location", "")[:255]
    )
    return render(
        request,
        "incidents/_assist.html",
        {
            "category": category,
            "impact": impact,
            "urgency": urgency,
            "preview": preview,
            "problem": problem,
            "duplicates": duplicates,
        },
    )


def _incident_or_404(pk: int) -> Incident:
    try:
        return selectors.incident_detail(pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident") from None


@require_GET
@permission_required("incidents.view_incident", raise_exception=True)
def incident_detail(request, pk: int):
    incident = _incident_or_404(pk)
    version = {"version": incident.version}
    caller_visible = contact.may_view(request.user, incident)
    if caller_visible:
        contact.log_views(
            user=request.user, incidents=[incident], via=ContactVia.PAGE, path=request.path
        )
    else:
        contact.hide_in_text(incident)
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "caller_visible": caller_visible,
            "timeline": selectors.timeline(incident),
            "just_logged": request.GET.get("new") == "1",
            "status_form": StatusForm(initial=version),
            "reprioritise_form": ReprioritiseForm(
                initial={**version, "impact": incident.impact, "urgency": incident.urgency}
            ),
            "link_form": LinkForm(initial=version),
            "unlink_form": UnlinkForm(initial=version),
            "confirm_form": ConfirmForm(initial=version),
            "update_due": selectors.customer_update_due(incident),
        },
    )


def _status(incident, actor, data):
    return services.change_status(
        incident_id=incident.pk,
        actor=actor,
        to_status=data["status"],
        reason=data["reason"],
        expected_version=data["version"],
    )


def _reprioritise(incident, actor, data):
    return services.reprioritise(
        incident_id=incident.pk,
        actor=actor,
        impact=data["impact"],
        urgency=data["urgency"],
        reason=data["reason"],
        expected_version=data["version"],
    )


def _link(incident, actor, data):
    return services.link_to_parent(
        incident_id=incident.pk,
        parent_id=data["parent"],
        actor=actor,
        reason=data["reason"],
        expected_version=data["version"],
    )


def _unlink(incident, actor, data):
    return services.unlink(
        incident_id=incident.pk,
        actor=actor,
        reason=data["reason"],
        expected_version=data["version"],
    )


def _confirm(incident, actor, data):
    return services.confirm_details(
        incident_id=incident.pk, actor=actor, expected_version=data["version"]
    )


# action name → (form, service call, permission, what to say when it worked)
ACTIONS = {
    "status": (StatusForm, _status, "incidents.change_incident", "Status changed."),
    "reprioritise": (
        ReprioritiseForm,
        _reprioritise,
        "incidents.reprioritise_incident",
        "Priority changed.",
    ),
    "link": (LinkForm, _link, "incidents.change_incident", "Linked."),
    "unlink": (UnlinkForm, _unlink, "incidents.change_incident", "Unlinked."),
    "confirm": (ConfirmForm, _confirm, "incidents.change_incident", "Details confirmed."),
}


@require_POST
@idempotent_page
def incident_action(request, pk: int, action: str):
    return run_action(request, pk=pk, action=ACTIONS.get(action))


def run_action(request, *, pk: int, action: tuple | None):
    """One form posted from the incident page: check, call the service, say what happened.

    `action` is (form class, service call, permission, what to say when it worked); the
    customer-care pages post through here with their own."""
    if action is None:
        raise Http404("No such action")
    form_class, call, permission, done = action
    if not request.user.has_perm(permission):
        raise PermissionDenied
    incident = get_object_or_404(Incident, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, problems in form.errors.items():
            messages.error(
                request,
                f"{field}: {' '.join(problems)}" if field != "__all__" else " ".join(problems),
            )
    else:
        try:
            result = call(incident, request.user, form.cleaned_data)
        except DomainError as refused:
            refusals.flash(request, refused)
        else:
            messages.success(request, done(result) if callable(done) else done)
    return redirect("incidents:detail", pk=pk)
