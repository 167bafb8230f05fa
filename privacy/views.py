"""The data protection officer's page: who saw caller details, subject-access exports and
erasure. Parse the form, call the selector or the one service, answer."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import refusals
from core.errors import DomainError
from core.idempotency import idempotent_page
from incidents import contact
from incidents.models import ContactVia, ContactView, Incident, pk_from_reference
from privacy import pdf, selectors, services
from privacy.forms import EraseForm, ExportForm

LOG_ROWS = 200


@require_GET
@permission_required("incidents.view_contactview", raise_exception=True)
def dpo(request):
    views = ContactView.objects.select_related("user", "incident").order_by("-at", "-id")
    reference = request.GET.get("incident", "").strip()[:20]
    username = request.GET.get("user", "").strip()[:150]
    if reference:
        views = views.filter(incident_id=pk_from_reference(reference) or 0)
    if username:
        views = views.filter(user__username__iexact=username)
    return render(
        request,
        "privacy/dpo.html",
        {
            "views": views[:LOG_ROWS],
            "log_rows": LOG_ROWS,
            "incident": reference,
            "username": username,
            "export_form": ExportForm(),
            "erase_form": EraseForm(),
        },
    )


@require_POST
@permission_required("incidents.export_personal_data", raise_exception=True)
def export(request):
    form = ExportForm(request.POST)
    if not form.is_valid():
        for problem in form.errors.values():
            messages.error(request, " ".join(problem))
        return redirect("privacy:dpo")
    subject = form.subject()
    data = selectors.export(subject)
    # An export shows the caller's details: logged like any other view.
    references = [item["reference"] for item in data["incidents"]]
    shown = Incident.objects.filter(pk__in=[pk_from_reference(r) for r in references])
    contact.log_views(user=request.user, incidents=shown, via=ContactVia.EXPORT, path=request.path)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if form.cleaned_data["format"] == "json":
        body, kind, ext = json.dumps(data, indent=2, ensure_ascii=False), "application/json", "json"
    else:
        body, kind, ext = pdf.render(data), "application/pdf", "pdf"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="subject-access-{stamp}.{ext}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required("incidents.erase_personal_data", raise_exception=True)
@idempotent_page
def erase(request):
    form = EraseForm(request.POST)
    if not form.is_valid():
        for problem in form.errors.values():
            messages.error(request, " ".join(problem))
        return redirect("privacy:dpo")
    try:
        done = services.erase_subject(subject=form.subject(), actor=request.user)
    except DomainError as refused:
        refusals.flash(request, refused)
    else:
        if done.incidents:
            messages.success(
                request,
                f"Erased from {', '.join(done.incidents)} ({done.rows} records rewritten).",
            )
        else:
            messages.info(request, "No incident holds that phone number or email address.")
    return redirect("privacy:dpo")
