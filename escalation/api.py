"""Escalation endpoints: validate, call the one service, answer."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import API_PERMISSIONS, ERROR, FIELD_ERRORS
from core.idempotency import idempotent
from escalation import selectors, services
from escalation.models import EscalationEvent
from escalation.serializers import (
    AcknowledgeIncidentSerializer,
    AlertSerializer,
    EscalateSerializer,
    EscalationFilterSerializer,
    ReapplySerializer,
    RunningEscalationSerializer,
)
from incidents.models import Incident

REFUSED = OpenApiResponse(ERROR, description="Nothing to do now (e.g. nothing to acknowledge).")


class EscalationListView(ListAPIView):
    """Escalation firings, newest first; `unacknowledged=true` for the supervisors' list."""

    serializer_class = AlertSerializer
    permission_classes = API_PERMISSIONS
    required_perms = {"get": ["escalation.view_escalationevent"]}

    @extend_schema(parameters=[EscalationFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = EscalationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if filters.validated_data["unacknowledged"]:
            return selectors.unacknowledged_escalations()
        return EscalationEvent.objects.select_related("incident__priority").order_by(
            "-fired_at", "-pk"
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([selectors.alert_row(e) for e in page])


class IncidentEscalationAction(APIView):
    """Base: the incident must exist (404), the body is validated, then one service runs."""

    permission_classes = API_PERMISSIONS
    input_serializer = None

    def incident(self, pk: int) -> Incident:
        incident = Incident.objects.filter(pk=pk).first()
        if incident is None:
            raise NotFound("There is no such incident.")
        return incident

    def body(self) -> dict:
        if self.input_serializer is None:
            return {}
        serializer = self.input_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def running(self, incident: Incident) -> Response:
        escalation = selectors.escalation_of(incident)
        data = RunningEscalationSerializer(escalation).data
        return Response(data, status=status.HTTP_200_OK)


ANSWERS = {200: RunningEscalationSerializer, 400: FIELD_ERRORS, 403: ERROR, 409: REFUSED}


class AcknowledgeView(IncidentEscalationAction):
    required_perms = {"post": ["escalation.acknowledge_escalation"]}

    @extend_schema(request=None, responses=ANSWERS, description="Acknowledge its escalations.")
    @idempotent
    def post(self, request, pk: int):
        incident = self.incident(pk)
        services.acknowledge_escalations(incident_id=incident.pk, actor=request.user)
        return self.running(incident)


class AcknowledgeIncidentView(IncidentEscalationAction):
    required_perms = {"post": ["escalation.acknowledge_incident"]}
    input_serializer = AcknowledgeIncidentSerializer

    @extend_schema(
        request=AcknowledgeIncidentSerializer,
        responses=ANSWERS,
        description="A supervisor records a response given by other means, with how: the "
        "response target is met.",
    )
    @idempotent
    def post(self, request, pk: int):
        incident = self.incident(pk)
        services.acknowledge_incident(
            incident_id=incident.pk, actor=request.user, reason=self.body()["reason"]
        )
        return self.running(incident)


class EscalateView(IncidentEscalationAction):
    required_perms = {"post": ["escalation.escalate_incident"]}
    input_serializer = EscalateSerializer

    @extend_schema(
        request=EscalateSerializer,
        responses=ANSWERS,
        description="Escalate by hand, with a reason: one level up, or to a specialist team.",
    )
    @idempotent
    def post(self, request, pk: int):
        incident = self.incident(pk)
        body = self.body()
        services.escalate_manually(
            incident_id=incident.pk, actor=request.user, reason=body["reason"], team=body["team"]
        )
        return self.running(incident)


class ReapplyPolicyView(IncidentEscalationAction):
    required_perms = {"post": ["escalation.reapply_policy"]}
    input_serializer = ReapplySerializer

    @extend_schema(
        request=ReapplySerializer,
        responses=ANSWERS,
        description="Follow the escalation policy as it is now instead of its snapshot.",
    )
    @idempotent
    def post(self, request, pk: int):
        incident = self.incident(pk)
        services.reapply_policy(
            incident_id=incident.pk, actor=request.user, reason=self.body()["reason"]
        )
        return self.running(incident)
