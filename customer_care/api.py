"""Customer-care endpoints under /api/incidents/{id}/…: validate, call the care service,
answer. Refused moves are 409 with the reason, missing notes or confirmation 400."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.idempotency import idempotent
from customer_care import selectors as care_selectors
from customer_care import services as care
from customer_care.serializers import (
    CareRecordSerializer,
    CloseSerializer,
    CustomerUpdateInputSerializer,
    ReopenSerializer,
    ResolveSerializer,
    SatisfactionInputSerializer,
    SatisfactionSerializer,
    UpdatesGivenSerializer,
)
from incidents import contact, selectors
from incidents.api import IncidentActions
from incidents.serializers import IncidentDetailSerializer

VIEW = ["incidents.view_incident"]
CHANGE = ["incidents.change_incident"]
CARE_PERMS = {
    "care": VIEW,
    "updates": CHANGE,
    "resolve": CHANGE,
    "close": CHANGE,
    "reopen": CHANGE,
    "satisfaction": CHANGE,
}


_ERROR = inline_serializer("CareError", {"detail": serializers.CharField()})
REFUSALS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: each field named."),
    403: OpenApiResponse(_ERROR, description="Not allowed for this user."),
    404: OpenApiResponse(_ERROR, description="No such incident."),
    409: OpenApiResponse(
        _ERROR, description="Not allowed from the current status (why is in detail), or stale."
    ),
}


def _refusals(ok: dict) -> dict:
    return {**ok, **REFUSALS}


class CustomerCareViewSet(IncidentActions):
    """The care actions of one incident; routed beside the incident viewset."""

    required_perms = CARE_PERMS

    def _care_record(self, incident):
        record = care_selectors.care_record(incident)
        return {
            "customer_update_due": selectors.customer_update_due(incident),
            "resolution": record["resolution"],
            "closure": record["closure"],
            "satisfaction": record["satisfaction"],
            "updates": list(care_selectors.customer_updates(incident)[:50]),
        }

    @extend_schema(
        responses=_refusals({200: CareRecordSerializer}),
        description="Where the incident stands with its customer: next update due, the "
        "latest resolution and closure, satisfaction answers, updates given.",
    )
    @action(detail=True, methods=["get"])
    def care(self, request, pk=None):
        incident = self.get_object()
        visible = bool(self.caller_context([incident])["caller_visible_ids"])
        record = CareRecordSerializer(
            self._care_record(incident), context={"caller_visible": visible}
        )
        return Response(record.data)

    @extend_schema(
        request=CustomerUpdateInputSerializer,
        responses=_refusals({201: UpdatesGivenSerializer}),
        description="Record an update given to the caller, or send it (email, or SMS through "
        "the SMS gateway). With "
        "include_linked, every linked caller gets it too, each on their own incident. The "
        "next update falls due one update interval later (once delivered, when sent).",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def updates(self, request, pk=None):
        incident, body = self._action_input(CustomerUpdateInputSerializer)
        given = care.give_customer_update(
            incident_id=incident.pk,
            actor=request.user,
            channel=body["channel"],
            message=body["message"],
            send=body["send"],
            include_linked=body["include_linked"],
            expected_version=body["version"],
        )
        data = {"updates": given.updates, "skipped": given.skipped}
        # Open incidents only: every agent with the scoped permission sees their callers.
        visible = bool(self.caller_context([incident])["caller_visible_ids"])
        answer = UpdatesGivenSerializer(data, context={"caller_visible": visible})
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ResolveSerializer,
        responses=_refusals({200: IncidentDetailSerializer}),
        description="Resolve with a resolution code and notes; stops the SLA clocks and "
        "emails the caller a satisfaction survey link if they gave an address.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def resolve(self, request, pk=None):
        incident, body = self._action_input(ResolveSerializer)
        care.resolve(
            incident_id=incident.pk,
            actor=request.user,
            code=body["code"],
            notes=body["notes"],
            expected_version=body["version"],
        )
        return self._answer(self.get_object())

    @extend_schema(
        request=CloseSerializer,
        responses=_refusals({200: IncidentDetailSerializer}),
        description="Close a resolved incident with the customer's confirmation; "
        "include_linked resolves and closes its linked calls too.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request, pk=None):
        incident, body = self._action_input(CloseSerializer)
        care.close(
            incident_id=incident.pk,
            actor=request.user,
            method=body["method"],
            confirmed_by=body["confirmed_by"],
            confirmed_at=body.get("confirmed_at"),
            include_linked=body["include_linked"],
            expected_version=body["version"],
        )
        return self._answer(self.get_object())

    @extend_schema(
        request=ReopenSerializer,
        responses=_refusals({200: IncidentDetailSerializer}),
        description="Reopen a resolved or closed incident, with a reason.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reopen(self, request, pk=None):
        incident, body = self._action_input(ReopenSerializer)
        care.reopen(
            incident_id=incident.pk,
            actor=request.user,
            reason=body["reason"],
            expected_version=body["version"],
        )
        return self._answer(self.get_object())

    @extend_schema(
        request=SatisfactionInputSerializer,
        responses=_refusals({201: SatisfactionSerializer}),
        description="Record the satisfaction score (1–5) the customer gave on a call.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def satisfaction(self, request, pk=None):
        incident = self.get_object()
        body = self._validated(SatisfactionInputSerializer)
        answer = care.record_satisfaction(
            incident_id=incident.pk,
            actor=request.user,
            score=body["score"],
            comment=body["comment"],
        )
        visible = contact.may_view(request.user, incident)
        answer = SatisfactionSerializer(answer, context={"caller_visible": visible})
        return Response(answer.data, status=status.HTTP_201_CREATED)
