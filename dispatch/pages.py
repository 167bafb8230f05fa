"""Dispatch actions posted from the incident page, and the resource's status-link page.

Parse the form, call one service, say what happened; no writes happen here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core import refusals
from core.errors import DomainError
from core.idempotency import idempotent_page
from dispatch import links, services
from dispatch.errors import StatusLinkInvalid
from dispatch.forms import BroadcastForm, DispatchForm, ProgressForm, StatusLinkForm
from dispatch.models import ACTIVE_DISPATCH, Dispatch, DispatchStatus
from incidents.models import Incident
from messaging.models import Message


def _form_errors(request, form) -> None:
    for field, problems in form.errors.items():
        label = "" if field == "__all__" else f"{form.fields[field].label or field}: "
        messages.error(request, label + " ".join(problems))


def _back(incident_id: int):
    return redirect("incidents:detail", pk=incident_id)


@require_POST
@permission_required("dispatch.add_dispatch", raise_exception=True)
@idempotent_page
def create_dispatch(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    form = DispatchForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(incident.pk)
    data = form.cleaned_data
    try:
        dispatch = services.dispatch_resource(
            incident_id=incident.pk,
            resource_id=data["resource"],
            channel=data["channel"],
            briefing=data["briefing"],
            actor=request.user,
            override_reason=data["override_reason"],
            briefed_by_voice=data["briefed_by_voice"],
        )
    except DomainError as refusal:
        refusals.flash(request, refusal)
    else:
        messages.success(
            request, f"{dispatch.resource} dispatched by {dispatch.get_channel_display().lower()}."
        )
    return _back(incident.pk)


@require_POST
@permission_required("dispatch.change_dispatch", raise_exception=True)
@idempotent_page
def progress(request, pk: int):
    dispatch = get_object_or_404(Dispatch, pk=pk)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(dispatch.incident_id)
    try:
        services.progress_dispatch(
            dispatch_id=dispatch.pk,
            step=form.cleaned_data["step"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except DomainError as refusal:
        refusals.flash(request, refusal)
    else:
        messages.success(
            request, f"Marked {DispatchStatus(form.cleaned_data['step']).label.lower()}."
        )
    return _back(dispatch.incident_id)


@require_POST
@permission_required("dispatch.change_dispatch", raise_exception=True)
@idempotent_page
def confirm_briefing(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    try:
        services.confirm_voice_briefing(message_id=message.pk, actor=request.user)
    except DomainError as refusal:
        refusals.flash(request, refusal)
    else:
        messages.success(request, "Voice briefing recorded.")
    return _back(message.incident_id)


@require_POST
@permission_required("dispatch.send_broadcast", raise_exception=True)
@idempotent_page
def broadcast(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    form = BroadcastForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(incident.pk)
    try:
        sent = services.broadcast(
            incident_id=incident.pk,
            group_id=form.cleaned_data["group"],
            channel=form.cleaned_data["channel"],
            body=form.cleaned_data["body"],
            actor=request.user,
        )
    except DomainError as refusal:
        refusals.flash(request, refusal)
    else:
        messages.success(request, f"Broadcast to {sent.group.name}.")
    return _back(incident.pk)


FINISHED = (
    "This job is finished (cleared or recalled): the link no longer works. "
    "Call the control room if you need anything."
)


# No login: the signed token is the credential. No CSRF cookie either, since the resource's
# phone has no session; the token in the URL does what the CSRF token would.
@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def status_link(request, token: str):
    try:
        dispatch_id = links.dispatch_id_from(token)
        dispatch = Dispatch.objects.select_related("incident", "resource").get(pk=dispatch_id)
    except (StatusLinkInvalid, Dispatch.DoesNotExist) as problem:
        text = str(problem) if isinstance(problem, StatusLinkInvalid) else "No such dispatch."
        return render(request, "dispatch/status_link.html", {"problem": text}, status=400)
    if dispatch.status not in ACTIVE_DISPATCH:
        # The link dies with the job: a recalled or cleared resource no longer sees the
        # briefing (the caller's details) however young the signature is.
        return render(request, "dispatch/status_link.html", {"problem": FINISHED}, status=410)
    done = ""
    problem = ""
    if request.method == "POST":
        form = StatusLinkForm(request.POST)
        if form.is_valid():
            step = form.cleaned_data["step"]
            try:
                dispatch = services.progress_dispatch(
                    dispatch_id=dispatch.pk, step=step, via="status_link"
                )
                done = f"Thank you: you are marked {DispatchStatus(step).label.lower()}."
            except DomainError as refusal:
                problem = str(refusal)
        else:
            problem = "Choose one of the buttons."
    steps = [
        (s, DispatchStatus(s).label) for s in dispatch.next_steps() if s != DispatchStatus.RECALLED
    ]
    return render(
        request,
        "dispatch/status_link.html",
        {"dispatch": dispatch, "steps": steps, "done": done, "problem": problem},
        status=409 if problem else 200,
    )
