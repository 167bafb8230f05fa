"""Dispatch, progress, voice briefings and broadcasts through the services."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from core.errors import Invalid, InvalidTransition
from dispatch import services
from dispatch.errors import NotDeployable, ResourceBusy
from dispatch.models import (
    Dispatch,
    DispatchStatus,
    ResourceGroup,
    ResourceStatus,
)
from incidents.models import EventKind, Status, TimerKind
from incidents.timeline import render
from messaging.models import DeliveryStatus, Message
from tests.factories import acknowledge, agent, log, resource, send, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reference_data):
    return log()


def kinds(incident):
    return list(incident.events.values_list("kind", flat=True))


def test_first_dispatch_moves_the_incident_to_dispatched_and_its_acknowledgement_meets_the_response_timer(  # noqa: E501
    incident,
):
    # given
    plumber = resource("FAC-1")

    # when
    dispatch = send(incident, plumber)
    dispatched_kinds = kinds(incident)[-2:]
    acknowledge(dispatch)

    # then
    incident.refresh_from_db()
    plumber.refresh_from_db()
    assert incident.status == Status.DISPATCHED
    assert incident.timers.get(kind=TimerKind.RESPONSE).met_at is not None
    assert plumber.status == ResourceStatus.DISPATCHED
    assert dispatch.status == DispatchStatus.DISPATCHED
    assert dispatched_kinds == [EventKind.RESOURCE_DISPATCHED, EventKind.STATUS_CHANGED]


def test_an_unverified_resource_is_refused_with_the_reason(incident):
    porter = resource("FAC-3", verified=False)

    with pytest.raises(NotDeployable) as refused:
        send(incident, porter)

    assert "FAC-3 has no identity and authority check on record." in refused.value.reasons
    assert not Dispatch.objects.exists()


def test_an_expired_verification_is_refused(incident):
    porter = resource("FAC-3")
    porter.verified_until = timezone.now() - timedelta(minutes=1)
    porter.save()

    with pytest.raises(NotDeployable) as refused:
        send(incident, porter)

    assert "verification expired" in " ".join(refused.value.reasons)


def test_an_unskilled_resource_is_refused_with_the_reason(incident):
    it_desk = resource("IT-DESK", skills=["it-outage"])

    with pytest.raises(NotDeployable) as refused:
        send(incident, it_desk)

    assert "IT-DESK is not skilled for Water leak or flood." in refused.value.reasons


def test_an_off_duty_resource_is_refused(incident):
    van = resource("VAN-1", status=ResourceStatus.OFF_DUTY)

    with pytest.raises(NotDeployable) as refused:
        send(incident, van)

    assert "VAN-1 is off duty." in refused.value.reasons


def test_a_supervisor_overrides_a_refusal_with_a_written_reason(incident):
    porter = resource("FAC-3", verified=False, skills=["noise"])

    dispatch = send(incident, porter, override_reason="Only person on site; ID seen on CCTV")

    assert dispatch.override_reason == "Only person on site; ID seen on CCTV"
    event = incident.events.get(kind=EventKind.RESOURCE_DISPATCHED)
    assert event.rationale == "Only person on site; ID seen on CCTV"
    assert event.data["override"] is True
    assert len(event.data["refusals"]) == 2


def test_someone_without_the_override_permission_cannot_override(incident):
    porter = resource("FAC-3", verified=False)
    role_without_override = agent()
    role_without_override.user_permissions.add(Permission.objects.get(codename="add_dispatch"))

    with pytest.raises(NotDeployable) as refused:
        send(incident, porter, actor=role_without_override, override_reason="please")

    assert "Only a supervisor may override this." in refused.value.reasons


def test_a_resource_already_on_a_dispatch_is_busy_even_with_an_override(incident):
    plumber = resource("FAC-1")
    send(incident, plumber)
    other = log(summary="Second leak", location="Block C")

    with pytest.raises(ResourceBusy) as busy:
        send(other, plumber, override_reason="I need them")

    assert f"dispatched to {incident.reference}" in str(busy.value)


def test_a_channel_without_a_contact_is_refused(incident):
    plumber = resource("FAC-1", contacts={"radio": "FAC-1"})

    with pytest.raises(Invalid) as refused:
        send(incident, plumber, channel="email")

    assert refused.value.errors == {"channel": ["FAC-1 has no email contact on record."]}


def test_progress_stamps_each_time_and_on_scene_moves_the_incident_to_in_progress(incident):
    plumber = resource("FAC-1")
    dispatch = send(incident, plumber)
    dispatcher = supervisor()

    for step, resource_status in [
        (DispatchStatus.ACKNOWLEDGED, ResourceStatus.DISPATCHED),
        (DispatchStatus.EN_ROUTE, ResourceStatus.EN_ROUTE),
        (DispatchStatus.ON_SCENE, ResourceStatus.ON_SCENE),
        (DispatchStatus.CLEARED, ResourceStatus.AVAILABLE),
    ]:
        services.progress_dispatch(dispatch_id=dispatch.pk, step=step, actor=dispatcher)
        plumber.refresh_from_db()
        assert plumber.status == resource_status

    dispatch.refresh_from_db()
    incident.refresh_from_db()
    assert all(
        (dispatch.acknowledged_at, dispatch.en_route_at, dispatch.on_scene_at, dispatch.cleared_at)
    )
    assert incident.status == Status.IN_PROGRESS
    assert kinds(incident).count(EventKind.DISPATCH_PROGRESS) == 4


def test_a_step_already_taken_is_harmless(incident):
    dispatch = send(incident, resource("FAC-1"))
    services.progress_dispatch(dispatch_id=dispatch.pk, step="acknowledged", actor=supervisor())

    services.progress_dispatch(dispatch_id=dispatch.pk, step="acknowledged", actor=supervisor())

    assert kinds(incident).count(EventKind.DISPATCH_PROGRESS) == 1


def test_a_step_backwards_is_refused_with_the_next_steps(incident):
    dispatch = send(incident, resource("FAC-1"))
    services.progress_dispatch(dispatch_id=dispatch.pk, step="on_scene", actor=supervisor())

    with pytest.raises(InvalidTransition) as refused:
        services.progress_dispatch(dispatch_id=dispatch.pk, step="en_route", actor=supervisor())

    assert "Next: Cleared, Recalled." in str(refused.value)


def test_recall_needs_a_reason_and_frees_the_resource(incident):
    plumber = resource("FAC-1")
    dispatch = send(incident, plumber)

    with pytest.raises(Invalid):
        services.progress_dispatch(dispatch_id=dispatch.pk, step="recalled", actor=supervisor())
    services.progress_dispatch(
        dispatch_id=dispatch.pk, step="recalled", actor=supervisor(), reason="Caller fixed it"
    )

    plumber.refresh_from_db()
    dispatch.refresh_from_db()
    assert plumber.status == ResourceStatus.AVAILABLE
    assert dispatch.recall_reason == "Caller fixed it"
    assert incident.events.get(kind=EventKind.RESOURCE_RECALLED).rationale == "Caller fixed it"


def test_a_radio_briefing_waits_for_the_dispatchers_confirmation(incident):
    dispatch = send(incident, resource("FAC-1"), channel="radio")
    message = dispatch.messages.get()
    assert message.status == DeliveryStatus.AWAITING_CONFIRMATION

    services.confirm_voice_briefing(message_id=message.pk, actor=supervisor())

    message.refresh_from_db()
    assert message.status == DeliveryStatus.CONFIRMED
    event = incident.events.get(kind=EventKind.BRIEFING_CONFIRMED)
    assert render(event).startswith("FAC-1 briefed by radio at ")


def test_a_briefing_given_as_the_dispatch_is_sent_is_confirmed_at_once(incident):
    dispatch = send(incident, resource("FAC-1"), channel="phone", briefed_by_voice=True)

    assert dispatch.messages.get().status == DeliveryStatus.CONFIRMED


def test_a_written_briefing_is_queued_with_the_status_link(incident):
    plumber = resource("FAC-1", contacts={"email": "sam@example.org"})

    dispatch = send(incident, plumber, channel="email")

    message = dispatch.messages.get()
    assert message.status == DeliveryStatus.QUEUED
    assert message.address == "sam@example.org"
    assert "/status/" in message.body
    assert message.subject.startswith(f"{incident.reference} P2 Water leak or flood")


def test_a_broadcast_records_each_recipients_delivery(incident):
    resource("FAC-1", groups=["Facilities North"], contacts={"sms": "07700 900001"})
    resource("FAC-2", groups=["Facilities North"], contacts={"radio": "FAC-2"})
    group = ResourceGroup.objects.get()

    sent = services.broadcast(
        incident_id=incident.pk,
        group_id=group.pk,
        channel="sms",
        body="Water off in Block B until 15:00",
        actor=supervisor(),
    )

    statuses = dict(sent.messages.values_list("recipient", "status"))
    assert statuses == {"FAC-1": DeliveryStatus.QUEUED, "FAC-2": DeliveryStatus.FAILED}
    assert Message.objects.get(recipient="FAC-2").error == ("FAC-2 has no sms contact on record.")
    event = incident.events.get(kind=EventKind.BROADCAST_SENT)
    assert event.data["recipients"] == ["FAC-1", "FAC-2"]
