"""Escalation pages: the supervisors' list and the actions on an incident. No writes here."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core import refusals
from core.errors import DomainError, Invalid
from core.idempotency import idempotent_page
from escalation import selectors, services
from escalation.forms import EscalateForm, ReasonForm
from escalation.models import Level
from incidents.models import Incident


@require_GET
@permission_required("escalation.acknowledge_escalation", raise_exception=True)
def escalation_list(request):
    return render(
        request,
        "escalation/list.html",
        {"escalations": selectors.unacknowledged_escalations()},
    )


def incident_panel(incident: Incident) -> dict:
    """What the incident page shows of its escalation: banner, level, history, form."""
    return {
        "running": selectors.escalation_of(incident),
        "alerts": list(selectors.unacknowledged_escalations().filter(incident=incident)),
        "history": selectors.escalation_history(incident),
        "escalate_form": EscalateForm(),
        "teams": selectors.specialist_teams(),
        "levels": Level,
    }


def _acknowledge(incident, actor, request):
    services.acknowledge_escalations(incident_id=incident.pk, actor=actor)


def _acknowledge_incident(incident, actor, request):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.acknowledge_incident(incident_id=incident.pk, actor=actor, reason=reason)


def _escalate(incident, actor, request):
    form = EscalateForm(request.POST)
    if not form.is_valid():
        raise Invalid({f: list(e) for f, e in form.errors.items()})
    data = form.cleaned_data
    services.escalate_manually(
        incident_id=incident.pk,
        actor=actor,
        reason=data["reason"],
        team=data["team"] if data["target"] == "team" else "",
    )


def _reapply(incident, actor, request):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.reapply_policy(incident_id=incident.pk, actor=actor, reason=reason)


# action → (service call, permission, what to say when it worked)
ACTIONS = {
    "acknowledge": (_acknowledge, "escalation.acknowledge_escalation", "Escalation acknowledged."),
    "acknowledge-incident": (
        _acknowledge_incident,
        "escalation.acknowledge_incident",
        "Response by other means recorded: response target met.",
    ),
    "escalate": (_escalate, "escalation.escalate_incident", "Escalated."),
    "reapply": (_reapply, "escalation.reapply_policy", "Current escalation policy applied."),
}


@require_POST
@idempotent_page
def escalation_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action")
    call, permission, done = ACTIONS[action]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    incident = get_object_or_404(Incident, pk=pk)
    try:
        call(incident, request.user, request)
    except DomainError as refused:
        refusals.flash(request, refused)
    else:
        messages.success(request, done)
    if request.POST.get("back") == "list":
        return redirect("escalation:list")
    return redirect("incidents:detail", pk=pk)
