"""Customer-care pages: the incident page's care actions and the public survey page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core import refusals
from core.errors import Invalid
from core.idempotency import idempotent_page
from customer_care import selectors as care_selectors
from customer_care import services as care
from customer_care.errors import SurveyLinkRefused
from customer_care.forms import (
    AgentSatisfactionForm,
    CloseForm,
    CustomerUpdateForm,
    ReopenForm,
    ResolveForm,
    SatisfactionForm,
)
from incidents import selectors
from incidents.views import run_action


def detail_context(incident) -> dict:
    """What the incident page shows of customer care (the care_panel template tags)."""
    version = {"version": incident.version}
    return {
        "update_due": selectors.customer_update_due(incident),
        "customer_updates": care_selectors.customer_updates(incident)[:20],
        "care": care_selectors.care_record(incident),
        "update_form": CustomerUpdateForm(initial=version),
        "resolve_form": ResolveForm(initial=version, auto_id="id_resolve_%s"),
        "close_form": CloseForm(initial=version, auto_id="id_close_%s"),
        "close_wait_days": settings.CLOSE_WITHOUT_CONFIRMATION_AFTER_DAYS,
        "reopen_form": ReopenForm(initial=version),
        "satisfaction_form": AgentSatisfactionForm(initial=version),
    }


def _update(incident, actor, data):
    return care.give_customer_update(
        incident_id=incident.pk,
        actor=actor,
        channel=data["channel"],
        message=data["message"],
        send=data["send"],
        include_linked=data["include_linked"],
        expected_version=data["version"],
    )


def _updated(given: care.UpdatesGiven) -> str:
    said = "queued for sending" if given.updates[0].delivery_status == "queued" else "recorded"
    text = f"Customer update {said} for {len(given.updates)} caller(s)."
    if given.skipped:
        text += f" No email address for {', '.join(given.skipped)}: update them another way."
    return text


def _resolve(incident, actor, data):
    return care.resolve(
        incident_id=incident.pk,
        actor=actor,
        code=data["code"],
        notes=data["notes"],
        expected_version=data["version"],
    )


def _close(incident, actor, data):
    return care.close(
        incident_id=incident.pk,
        actor=actor,
        method=data["method"],
        confirmed_by=data["confirmed_by"],
        include_linked=data["include_linked"],
        expected_version=data["version"],
    )


def _reopen(incident, actor, data):
    return care.reopen(
        incident_id=incident.pk,
        actor=actor,
        reason=data["reason"],
        expected_version=data["version"],
    )


def _satisfaction(incident, actor, data):
    return care.record_satisfaction(
        incident_id=incident.pk, actor=actor, score=data["score"], comment=data["comment"]
    )


CHANGE = "incidents.change_incident"
# Posted from the incident page: action name → (form, service call, permission, message).
ACTIONS = {
    "update-customer": (CustomerUpdateForm, _update, CHANGE, _updated),
    "resolve": (ResolveForm, _resolve, CHANGE, "Resolved."),
    "close": (CloseForm, _close, CHANGE, "Closed with the customer's confirmation."),
    "reopen": (ReopenForm, _reopen, CHANGE, "Reopened."),
    "satisfaction": (AgentSatisfactionForm, _satisfaction, CHANGE, "Satisfaction recorded."),
}


@require_http_methods(["POST"])
@idempotent_page
def incident_action(request, pk: int, action: str):
    return run_action(request, pk=pk, action=ACTIONS[action])


@login_not_required
@require_http_methods(["GET", "POST"])
def satisfaction_survey(request, token: str):
    """The customer's page: no login, the signed single-use link is the only key."""
    try:
        link = care.survey_link(token)
    except SurveyLinkRefused as refused:
        return render(request, "customer_care/survey.html", {"refused": str(refused)}, status=400)
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            care.satisfaction_from_link(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except SurveyLinkRefused as refused:
            return render(
                request, "customer_care/survey.html", {"refused": str(refused)}, status=400
            )
        except Invalid as refused:
            refusals.add_to_form(form, refused)
        else:
            return render(request, "customer_care/survey.html", {"thanks": True})
    status = 400 if form.is_bound else 200
    return render(
        request,
        "customer_care/survey.html",
        {"form": form, "incident": link.incident},
        status=status,
    )
