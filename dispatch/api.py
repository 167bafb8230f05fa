"""The dispatch API: validate, call one service, answer; refusals are 400/409 with reasons."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import API_PERMISSIONS, CONFLICT, ERROR, FIELD_ERRORS
from core.idempotency import idempotent
from dispatch import selectors, services
from dispatch.models import Broadcast, Dispatch
from dispatch.serializers import (
    BroadcastInputSerializer,
    BroadcastSerializer,
    DispatchInputSerializer,
    DispatchSerializer,
    MessageSerializer,
    ProgressInputSerializer,
    RecommendationSerializer,
    ResourceFilterSerializer,
    ResourceSerializer,
)
from incidents import contact
from incidents.models import Incident
from messaging.models import Message

REFUSED = {400: FIELD_ERRORS, 403: ERROR, 404: ERROR, 409: CONFLICT}


def _incident(pk: int) -> Incident:
    incident = Incident.objects.select_related("category", "priority").filter(pk=pk).first()
    if incident is None:
        raise Http404("There is no such incident.")
    return incident


def _dispatch(pk: int) -> Dispatch:
    dispatch = selectors.dispatch_detail(pk)
    if dispatch is None:
        raise Http404("There is no such dispatch.")
    return dispatch


class ResourceListView(ListAPIView):
    serializer_class = ResourceSerializer
    permission_classes = API_PERMISSIONS
    required_perms = {"get": ["dispatch.view_resource"]}

    @extend_schema(
        parameters=[ResourceFilterSerializer],
        description="Resources, filtered by status, skill (category slug) or group name.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = ResourceFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.filtered_resources(**filters.validated_data)


class RecommendationsView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"get": ["dispatch.view_resource", "incidents.view_incident"]}

    @extend_schema(
        responses={200: RecommendationSerializer(many=True), 404: ERROR},
        description="Available, verified, skilled resources, best first, with the reasons.",
    )
    def get(self, request, pk: int):
        ranked = selectors.recommend(_incident(pk))
        data = [
            {
                "resource": r.resource,
                "rank": rank,
                "distance_km": None if r.distance_km is None else round(r.distance_km, 3),
                "load": r.load,
                "channel": r.channel,
                "reasons": r.reasons,
            }
            for rank, r in enumerate(ranked, 1)
        ]
        return Response(RecommendationSerializer(data, many=True).data)


class IncidentDispatchesView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {
        "get": ["dispatch.view_dispatch"],
        "post": ["dispatch.add_dispatch"],
    }

    @extend_schema(responses={200: DispatchSerializer(many=True), 404: ERROR})
    def get(self, request, pk: int):
        incident = _incident(pk)
        dispatches = selectors.incident_dispatches(incident)
        # A sharing channel rule puts the caller in the briefing: only for who may see them.
        context = {"caller_visible": contact.may_view(request.user, incident)}
        return Response(DispatchSerializer(dispatches, many=True, context=context).data)

    @extend_schema(
        request=DispatchInputSerializer,
        responses={201: DispatchSerializer, **REFUSED},
        description="Dispatch a resource. An unverified, unskilled or unavailable one is "
        "refused with 400 and the reasons unless a supervisor sends override_reason; one "
        "already on a dispatch is refused with 409.",
    )
    @idempotent
    def post(self, request, pk: int):
        incident = _incident(pk)
        body = DispatchInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dispatch = services.dispatch_resource(
            incident_id=incident.pk,
            resource_id=data["resource"],
            channel=data["channel"],
            briefing=data["briefing"] or selectors.briefing_for(incident),
            actor=request.user,
            override_reason=data["override_reason"],
            briefed_by_voice=data["briefed_by_voice"],
        )
        return Response(
            DispatchSerializer(_dispatch(dispatch.pk)).data, status=status.HTTP_201_CREATED
        )


class ProgressView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"post": ["dispatch.change_dispatch"]}

    @extend_schema(
        request=ProgressInputSerializer,
        responses={200: DispatchSerializer, **REFUSED},
        description="Acknowledged, en_route, on_scene, cleared, or recalled (with a reason).",
    )
    @idempotent
    def post(self, request, pk: int):
        dispatch = _dispatch(pk)
        body = ProgressInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.progress_dispatch(
            dispatch_id=dispatch.pk,
            step=body.validated_data["step"],
            reason=body.validated_data["reason"],
            actor=request.user,
            via="api",
        )
        return Response(DispatchSerializer(_dispatch(pk)).data)


class ConfirmBriefingView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"post": ["dispatch.change_dispatch"]}

    @extend_schema(
        request=None,
        responses={200: MessageSerializer, 403: ERROR, 404: ERROR, 409: CONFLICT},
        description="Record that you briefed the resource by radio or phone just now.",
    )
    @idempotent
    def post(self, request, pk: int):
        if not Message.objects.filter(pk=pk).exists():
            raise Http404("There is no such message.")
        message = services.confirm_voice_briefing(message_id=pk, actor=request.user)
        return Response(MessageSerializer(message).data)


class BroadcastView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"post": ["dispatch.send_broadcast"]}

    @extend_schema(
        request=BroadcastInputSerializer,
        responses={201: BroadcastSerializer, 400: FIELD_ERRORS, 403: ERROR, 404: ERROR},
        description="Message every member of a group; each recipient's delivery is recorded.",
    )
    @idempotent
    def post(self, request):
        body = BroadcastInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        sent = services.broadcast(
            incident_id=_incident(data["incident"]).pk,
            group_id=data["group"],
            channel=data["channel"],
            body=data["body"],
            actor=request.user,
        )
        sent = Broadcast.objects.prefetch_related("messages").get(pk=sent.pk)
        return Response(BroadcastSerializer(sent).data, status=status.HTTP_201_CREATED)
