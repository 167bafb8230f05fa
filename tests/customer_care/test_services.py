"""Customer care services: updates, linked callers, resolve, close, reopen, satisfaction."""

import io
from datetime import timedelta

import pytest

from core.errors import Invalid, InvalidTransition
from customer_care import services as care
from customer_care.errors import SurveyLinkRefused
from customer_care.models import Closure, CustomerUpdate, Satisfaction, SatisfactionLink
from incidents import selectors, services
from incidents.models import EventKind, Incident, Status, TimerKind
from incidents.timeline import render
from tests.factories import agent, close, log, resolve

pytestmark = pytest.mark.django_db


def update(incident, **overrides):
    values = {"channel": "phone", "message": "An engineer is on the way, there within the hour."}
    values.update(overrides)
    return care.give_customer_update(incident_id=incident.pk, actor=agent(), **values)


def due(incident, now=None):
    return selectors.customer_update_due(Incident.objects.get(pk=incident.pk), now=now)


def kinds(incident):
    return list(incident.events.values_list("kind", flat=True))


# ---- Customer updates -----------------------------------------------------------------------


def test_the_first_update_is_due_one_interval_after_logging_and_overdue_after(
    reference_data, clock
):
    # given a P2 incident: the customer must hear from us every hour
    incident = log()
    logged_at = clock.now
    # then
    assert due(incident).due_at == logged_at + timedelta(hours=1)
    assert not due(incident, now=logged_at + timedelta(minutes=59)).overdue
    assert due(incident, now=logged_at + timedelta(hours=1, seconds=1)).overdue


def test_a_recorded_update_clears_the_overdue_flag_and_sets_the_next_due(reference_data, clock):
    incident = log()
    late = clock.advance(minutes=70)
    assert due(incident).overdue

    update(incident)

    assert not due(incident).overdue
    assert due(incident).due_at == late + timedelta(hours=1)
    given = CustomerUpdate.objects.get(incident=incident)
    assert given.delivery_status == "recorded"
    event = incident.events.get(kind=EventKind.CUSTOMER_UPDATED)
    assert event.rationale == "An engineer is on the way, there within the hour."
    assert event.data["channel"] == "phone"


def test_an_update_on_hold_shows_the_clock_paused_not_overdue(reference_data, clock):
    incident = log()
    services.change_status(
        incident_id=incident.pk, actor=agent(), to_status="on_hold", reason="Waiting on parts"
    )
    clock.advance(hours=5)

    assert due(incident).paused
    assert not due(incident).overdue


def test_a_sent_update_resets_the_clock_only_when_delivered(reference_data, clock):
    incident = log(caller_email="ruth@example.org")
    before = due(incident).due_at

    given = update(incident, channel="email", send=True).updates[0]

    assert given.delivery_status == "queued"
    assert due(incident).due_at == before
    delivered = clock.advance(minutes=20)
    care.mark_update_sent(update_id=given.pk)
    assert due(incident).due_at == delivered + timedelta(hours=1)
    assert kinds(incident)[-2:] == [EventKind.CUSTOMER_UPDATE_QUEUED, EventKind.CUSTOMER_UPDATED]


def test_an_update_needs_what_was_said(reference_data):
    with pytest.raises(Invalid) as refused:
        update(log(), message="  ")

    assert "message" in refused.value.errors


def test_sending_needs_the_callers_email_address(reference_data):
    with pytest.raises(Invalid) as refused:
        update(log(caller_email=""), channel="email", send=True)

    assert "no email address" in refused.value.errors["channel"][0]


def test_only_email_and_sms_can_be_sent(reference_data):
    with pytest.raises(Invalid) as refused:
        update(log(caller_email="ruth@example.org"), channel="chat", send=True)

    assert "Only email or SMS" in refused.value.errors["channel"][0]


def test_sending_an_sms_needs_the_callers_phone_number(reference_data):
    with pytest.raises(Invalid) as refused:
        update(log(caller_phone="", caller_email="ruth@example.org"), channel="sms", send=True)

    assert "no phone number" in refused.value.errors["channel"][0]


def test_an_sms_update_is_queued_for_the_callers_phone(reference_data):
    (given,) = update(log(caller_phone="07700 900123"), channel="sms", send=True).updates

    assert (given.delivery_status, given.recipient) == ("queued", "+447700900123")  # kept in E.164


def test_a_service_request_owes_no_timed_update(reference_data):
    request = log(record_type="service_request", location="")

    update(request)

    assert due(request) is None
    assert request.customer_updates.count() == 1


def test_one_update_on_a_parent_reaches_every_linked_caller(reference_data):
    # given a parent incident with two linked callers, one of them already closed
    parent = log()
    first, second, done = log(parent=parent), log(parent=parent), log(parent=parent)
    resolve(done)
    close(done)

    # when the agent updates the parent and its linked callers at once
    given = update(parent, include_linked=True)

    # then each open caller has its own update, on its own incident and timeline
    assert {u.incident_id for u in given.updates} == {parent.pk, first.pk, second.pk}
    for child in (first, second):
        recorded = CustomerUpdate.objects.get(incident=child)
        assert recorded.via_parent_id == parent.pk
        event = child.events.get(kind=EventKind.CUSTOMER_UPDATED)
        assert event.data["via_parent"] == parent.reference
    assert not CustomerUpdate.objects.filter(incident=done).exists()


def test_sending_to_linked_callers_skips_those_without_an_address(reference_data):
    parent = log(caller_email="ruth@example.org")
    reachable = log(parent=parent, caller_email="sam@example.org")
    unreachable = log(parent=parent, caller_email="")

    given = update(parent, channel="email", send=True, include_linked=True)

    assert {u.incident_id for u in given.updates} == {parent.pk, reachable.pk}
    assert given.skipped == [unreachable.reference]


# ---- Resolve --------------------------------------------------------------------------------


def test_resolving_needs_notes_and_a_code(reference_data):
    with pytest.raises(Invalid) as refused:
        care.resolve(incident_id=log().pk, actor=agent(), code="", notes=" ")

    assert set(refused.value.errors) == {"code", "notes"}


def test_resolving_stops_the_resolution_clock_and_records_how(reference_data):
    incident = resolve(log(), code="workaround", notes="Bucket under the leak; plumber booked.")

    assert incident.status == Status.RESOLVED
    assert incident.timers.get(kind=TimerKind.RESOLUTION).met_at is not None
    resolution = incident.resolutions.get()
    assert resolution.code == "workaround"
    event = incident.events.get(kind=EventKind.RESOLVED)
    assert event.data["code"] == "workaround"
    assert render(event) == "Resolved: Workaround in place"
    assert event.rationale == "Bucket under the leak; plumber booked."


def test_the_generic_status_change_cannot_resolve_or_close(reference_data):
    incident = log()

    with pytest.raises(InvalidTransition) as refused:
        services.change_status(incident_id=incident.pk, actor=agent(), to_status="resolved")

    assert "resolve" in str(refused.value)
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED


def test_resolving_sends_a_survey_link_only_to_a_caller_with_an_email(reference_data):
    with_email = resolve(log(caller_email="ruth@example.org"))
    without = resolve(log(caller_email=""))

    link = SatisfactionLink.objects.get()
    assert link.incident_id == with_email.pk
    assert link.sent_to == "ruth@example.org"
    assert not without.satisfaction_links.exists()


def test_a_service_request_resolves_straight_from_logged(reference_data):
    request = resolve(log(record_type="query", location=""), code="fixed", notes="Answered.")

    assert request.status == Status.RESOLVED


# ---- Close ----------------------------------------------------------------------------------


def test_closing_needs_the_customers_confirmation(reference_data):
    incident = resolve(log())

    with pytest.raises(Invalid) as refused:
        care.close(incident_id=incident.pk, actor=agent(), method="", confirmed_by="")

    assert set(refused.value.errors) == {"method", "confirmed_by"}


def test_only_a_resolved_incident_can_be_closed(reference_data):
    with pytest.raises(InvalidTransition):
        close(log())


def test_closing_records_who_confirmed_and_how(reference_data):
    incident = close(resolve(log()), method="email", confirmed_by="Ruth Okafor")

    assert incident.status == Status.CLOSED
    closure = Closure.objects.get(incident=incident)
    assert closure.confirmed
    assert closure.confirmed_by == "Ruth Okafor"
    event = incident.events.get(kind=EventKind.CLOSED)
    assert event.data["method"] == "email"
    assert "Confirmed by email" in render(event)


def test_a_confirmation_from_before_the_resolution_is_refused(reference_data):
    incident = resolve(log())

    with pytest.raises(Invalid) as refused:
        close(incident, confirmed_at=incident.created_at - timedelta(minutes=1))

    assert "confirmed_at" in refused.value.errors


def test_closing_a_parent_with_its_linked_calls_resolves_and_closes_each(reference_data):
    parent = log()
    working, already_resolved = log(parent=parent), log(parent=parent)
    resolve(already_resolved, code="duplicate", notes="Same leak as the parent.")
    resolve(parent)

    close(parent, include_linked=True)

    for child in (working, already_resolved):
        child.refresh_from_db()
        assert child.status == Status.CLOSED
        closure = child.closures.get()
        assert closure.method == "with_parent"
        assert not closure.confirmed
        assert child.events.get(kind=EventKind.CLOSED).data["via_parent"] == parent.reference
    assert working.resolutions.get().notes.startswith(f"Resolved with {parent.reference}")
    assert already_resolved.resolutions.get().code == "duplicate"


def test_closing_a_parent_alone_leaves_its_linked_calls_open(reference_data):
    parent = log()
    child = log(parent=parent)

    close(resolve(parent))

    child.refresh_from_db()
    assert child.status == Status.LOGGED


# ---- Auto-close -----------------------------------------------------------------------------


def test_a_resolved_incident_closes_itself_after_the_wait_without_an_answer(reference_data, clock):
    incident = resolve(log())

    assert care.close_unconfirmed(now=clock.now + timedelta(days=2, hours=23)) == []
    closed = care.close_unconfirmed(now=clock.now + timedelta(days=3, minutes=1))

    assert closed == [incident.reference]
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    closure = incident.closures.get()
    assert closure.method == "no_answer"
    assert closure.closed_by is None
    assert kinds(incident)[-1] == EventKind.CLOSED_WITHOUT_CONFIRMATION


def test_the_wait_counts_from_the_latest_resolution(reference_data, clock, settings):
    settings.CLOSE_WITHOUT_CONFIRMATION_AFTER_DAYS = 1
    incident = resolve(log())
    clock.advance(hours=20)
    care.reopen(incident_id=incident.pk, actor=agent(), reason="Still dripping")
    resolve(incident)

    assert care.close_unconfirmed(now=clock.now + timedelta(hours=10)) == []


# ---- Reopen ---------------------------------------------------------------------------------


def test_reopening_needs_a_reason(reference_data):
    with pytest.raises(Invalid):
        care.reopen(incident_id=resolve(log()).pk, actor=agent(), reason="")


def test_a_closed_incident_reopens_with_its_clocks_running_again(reference_data, clock):
    incident = close(resolve(log()))
    clock.advance(hours=3)

    incident = care.reopen(incident_id=incident.pk, actor=agent(), reason="Leak is back")

    assert incident.status == Status.REOPENED
    assert incident.timers.get(kind=TimerKind.RESOLUTION).met_at is None
    assert due(incident).due_at == clock.now + timedelta(hours=1)
    event = incident.events.get(kind=EventKind.REOPENED)
    assert event.data == {"from": "closed"}
    assert render(event) == "Reopened (was Closed)"
    assert event.rationale == "Leak is back"


def test_an_open_incident_cannot_be_reopened(reference_data):
    with pytest.raises(InvalidTransition):
        care.reopen(incident_id=log().pk, actor=agent(), reason="?")


# ---- Satisfaction ---------------------------------------------------------------------------


def test_the_agent_records_the_score_the_customer_gave(reference_data):
    incident = resolve(log())

    care.record_satisfaction(incident_id=incident.pk, actor=agent(), score=4, comment="Quick.")

    answer = Satisfaction.objects.get()
    assert (answer.score, answer.source) == (4, "agent")
    assert incident.events.get(kind=EventKind.SATISFACTION_RECORDED).data["score"] == 4


@pytest.mark.parametrize("score", [0, 6, "5", None, True])
def test_a_score_outside_1_to_5_is_refused(reference_data, score):
    with pytest.raises(Invalid):
        care.record_satisfaction(incident_id=resolve(log()).pk, actor=agent(), score=score)


def test_satisfaction_waits_for_the_resolution(reference_data):
    with pytest.raises(InvalidTransition):
        care.record_satisfaction(incident_id=log().pk, actor=agent(), score=5)


def survey_for(incident):
    return care.survey_token(incident.satisfaction_links.get())


def test_a_valid_survey_link_records_the_customers_answer_once(reference_data):
    incident = resolve(log(caller_email="ruth@example.org"))
    token = survey_for(incident)

    care.satisfaction_from_link(token=token, score=5, comment="Brilliant")

    answer = Satisfaction.objects.get()
    assert (answer.score, answer.source, answer.recorded_by) == (5, "link", None)
    assert incident.satisfaction_links.get().used_at is not None


def test_a_reused_survey_link_is_refused(reference_data):
    token = survey_for(resolve(log(caller_email="ruth@example.org")))
    care.satisfaction_from_link(token=token, score=5)

    with pytest.raises(SurveyLinkRefused) as refused:
        care.satisfaction_from_link(token=token, score=1)

    assert str(refused.value) == care.USED
    assert Satisfaction.objects.count() == 1


def test_a_tampered_survey_link_is_refused(reference_data):
    token = survey_for(resolve(log(caller_email="ruth@example.org")))
    other = SatisfactionLink.objects.get().pk + 1
    forged = token.replace(
        token.split(":")[0], care.survey_token(SatisfactionLink(pk=other)).split(":")[0]
    )

    for bad in (forged, token[:-2] + "xx", "not-a-token", ""):
        with pytest.raises(SurveyLinkRefused) as refused:
            care.satisfaction_from_link(token=bad, score=5)
        assert str(refused.value) == care.TAMPERED


def test_an_expired_survey_link_is_refused(reference_data):
    incident = resolve(log(caller_email="ruth@example.org"))
    token = survey_for(incident)
    link = incident.satisfaction_links.get()
    link.expires_at = link.created_at - timedelta(seconds=1)
    link.save(update_fields=["expires_at"])

    with pytest.raises(SurveyLinkRefused) as refused:
        care.satisfaction_from_link(token=token, score=5)

    assert str(refused.value) == care.EXPIRED


def test_a_survey_link_past_its_signed_age_is_refused(reference_data, settings, monkeypatch):
    token = survey_for(resolve(log(caller_email="ruth@example.org")))
    settings.SATISFACTION_LINK_DAYS = 1
    real_time = care.signing.time.time
    monkeypatch.setattr(care.signing.time, "time", lambda: real_time() + 2 * 86_400)

    with pytest.raises(SurveyLinkRefused) as refused:
        care.survey_link(token)

    assert str(refused.value) == care.EXPIRED


def test_the_demo_has_an_updated_and_a_resolved_incident(reference_data):
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())

    assert CustomerUpdate.objects.count() == 1
    assert Incident.objects.filter(status=Status.RESOLVED).count() == 1
