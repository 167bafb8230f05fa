"""The REST API: validate the request, call the one service, answer with the incident."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api import API_PERMISSIONS, CONFLICT, ERROR, FIELD_ERRORS, JSONBodyParser
from core.idempotency import idempotent
from incidents import contact, selectors, services
from incidents.events import event_message
from incidents.models import ContactVia, Incident, Priority
from incidents.serializers import (
    CategorySerializer,
    EventMessageSerializer,
    IncidentChangesSerializer,
    IncidentDetailSerializer,
    IncidentFilterSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    LinkSerializer,
    PriorityMatrixSerializer,
    PrioritySerializer,
    ReasonSerializer,
    ReprioritiseSerializer,
    StatusChangeSerializer,
    VersionedSerializer,
)

VIEW = ["incidents.view_incident"]
CHANGE = ["incidents.change_incident"]
# The version as an entity tag: "3", W/"3" or a bare 3.
IF_MATCH = re.compile(r'(?:W/)?"(\d{1,10})"|(\d{1,10})')


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        'Send the version you last read, as an If-Match header (If-Match: "3") or '
        '"version" in the body, so a change someone made meanwhile is not overwritten.'
    )


class IncidentPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def etag(incident: Incident) -> str:
    return f'"{incident.version}"'


def expected_version(request, body_version: int | None) -> int | None:
    """The version the client last read: the If-Match header, or `version` in the body."""
    header = request.headers.get("If-Match")
    if header is None:
        return body_version
    match = IF_MATCH.fullmatch(header.strip())
    if match is None:
        raise ValidationError({"If-Match": ['Send the version you last read, e.g. If-Match: "3".']})
    version = int(match.group(1) or match.group(2))
    if body_version is not None and body_version != version:
        raise ValidationError({"version": ["It differs from the If-Match header: send one."]})
    return version


IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version you last read ("3", W/"3" or 3); or send "version" in the body.',
)


def etag_header(status_code: int) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[status_code],
        description="The incident's version, for If-Match.",
    )


NOT_FOUND = OpenApiResponse(ERROR, description="No such incident.")
CHANGED = {
    200: IncidentDetailSerializer,
    400: FIELD_ERRORS,
    403: ERROR,
    404: NOT_FOUND,
    409: CONFLICT,
}


def _change(request_serializer, description: str):
    return extend_schema(
        request=request_serializer,
        responses=CHANGED,
        parameters=[IF_MATCH_HEADER, etag_header(200)],
        description=description,
    )


class IncidentActions(viewsets.GenericViewSet):
    """What every viewset of actions on one incident shares (this app's and customer care's):
    the incident by id (404 first), the checked body with the version read, the answer."""

    queryset = selectors.incidents_for_list()
    parser_classes = [JSONBodyParser]
    permission_classes = API_PERMISSIONS
    lookup_value_regex = r"[0-9]{1,18}"

    def get_object(self):
        try:
            return selectors.incident_detail(int(self.kwargs["pk"]))
        except Incident.DoesNotExist:
            raise NotFound("There is no such incident.") from None

    def caller_context(self, incidents) -> dict:
        """The serializer context for incidents about to be answered: whose caller details
        this user may see (incidents/contact.py), those views logged in one INSERT."""
        incidents = list(incidents)
        visible = contact.visible_ids(self.request.user, incidents)
        contact.log_views(
            user=self.request.user,
            incidents=[incident for incident in incidents if incident.pk in visible],
            via=ContactVia.API,
            path=self.request.path,
        )
        return {**self.get_serializer_context(), "caller_visible_ids": visible}

    def _answer(self, incident: Incident, *, status_code=status.HTTP_200_OK, headers=None):
        headers = {"ETag": etag(incident), **(headers or {})}
        data = IncidentDetailSerializer(incident, context=self.caller_context([incident])).data
        return Response(data, status=status_code, headers=headers)

    def _validated(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _action_input(self, serializer_class) -> tuple[Incident, dict]:
        """The incident (404 first), the checked body, and the version the client read, if sent."""
        incident = self.get_object()
        body = self._validated(serializer_class)
        body["version"] = expected_version(self.request, body.get("version"))
        return incident, body


@extend_schema_view(
    list=extend_schema(
        parameters=[IncidentFilterSerializer], description="Incidents, newest first."
    ),
    retrieve=extend_schema(
        responses={200: IncidentDetailSerializer, 404: NOT_FOUND}, parameters=[etag_header(200)]
    ),
)
class IncidentViewSet(
    IncidentActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    serializer_class = IncidentSerializer
    pagination_class = IncidentPagination
    required_perms = {
        "list": VIEW,
        "retrieve": VIEW,
        "events": VIEW,
        "create": ["incidents.add_incident"],
        "partial_update": CHANGE,
        "change_status": CHANGE,
        "reprioritise": [*CHANGE, "incidents.reprioritise_incident"],
        "link": CHANGE,
        "unlink": CHANGE,
        "confirm_details": CHANGE,
    }

    def get_queryset(self):
        filters = IncidentFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        incidents = (
            selectors.open_incidents() if wanted.get("open") else selectors.incidents_for_list()
        )
        if "status" in wanted:
            incidents = incidents.filter(status=wanted["status"])
        if "priority" in wanted:
            incidents = incidents.filter(priority__code=wanted["priority"])
        if "category" in wanted:
            incidents = incidents.filter(category__slug=wanted["category"])
        scope = contact.visible_condition(self.request.user)
        return selectors.search(incidents, wanted.get("q", ""), caller_scope=scope)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = IncidentSerializer(page, many=True, context=self.caller_context(page)).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(
        request=IncidentInputSerializer,
        responses={
            201: IncidentDetailSerializer,
            400: FIELD_ERRORS,
            403: ERROR,
        },
        parameters=[etag_header(201)],
        description="Log an incident; its priority is computed from the impact × urgency matrix.",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        values = self._validated(IncidentInputSerializer)
        logged = services.log_incident(actor=request.user, **values)
        incident = selectors.detail_of_logged(logged.incident)
        headers = {"Location": reverse("api-incident-detail", args=[incident.pk], request=request)}
        return self._answer(incident, status_code=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        request=IncidentChangesSerializer,
        responses={**CHANGED, 428: OpenApiResponse(ERROR, description="No version was sent.")},
        parameters=[IF_MATCH_HEADER, etag_header(200)],
        description="Edit details. Needs the version you read: a stale one is refused with 409.",
    )
    @idempotent
    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        changes = self._validated(IncidentChangesSerializer, partial=True)
        version = expected_version(request, changes.pop("version", None))
        if version is None:
            raise PreconditionRequired()
        services.update_incident(
            incident_id=incident.pk,
            actor=request.user,
            expected_version=version,
            rationale=changes.pop("reason", ""),
            changes=changes,
        )
        return self._answer(self.get_object())

    @_change(
        StatusChangeSerializer,
        "Move the incident along its lifecycle (the lifecycle table): Dispatched and In "
        "progress need a resource on an active dispatch (409); cancelling a P1 or P2 needs a "
        "supervisor (403) and a reason of at least 2 words and 10 characters (400). A status "
        "change never meets the response target.",
    )
    @action(detail=True, methods=["post"], url_path="status")
    @idempotent
    def change_status(self, request, pk=None):
        incident, body = self._action_input(StatusChangeSerializer)
        services.change_status(
            incident_id=incident.pk,
            actor=request.user,
            expected_version=body["version"],
            to_status=body["status"],
            reason=body["reason"],
        )
        return self._answer(self.get_object())

    @_change(ReprioritiseSerializer, "New impact and urgency; the priority is recomputed.")
    @action(detail=True, methods=["post"])
    @idempotent
    def reprioritise(self, request, pk=None):
        incident, body = self._action_input(ReprioritiseSerializer)
        services.reprioritise(
            incident_id=incident.pk,
            actor=request.user,
            expected_version=body["version"],
            impact=body["impact"],
            urgency=body["urgency"],
            reason=body["reason"],
        )
        return self._answer(self.get_object())

    @_change(LinkSerializer, "Link this call to the incident it is about.")
    @action(detail=True, methods=["post"])
    @idempotent
    def link(self, request, pk=None):
        incident, body = self._action_input(LinkSerializer)
        services.link_to_parent(
            incident_id=incident.pk,
            actor=request.user,
            expected_version=body["version"],
            parent_id=body["parent"].pk,
            reason=body["reason"],
        )
        return self._answer(self.get_object())

    @_change(ReasonSerializer, "Unlink this call from its parent incident, with a reason.")
    @action(detail=True, methods=["post"])
    @idempotent
    def unlink(self, request, pk=None):
        incident, body = self._action_input(ReasonSerializer)
        services.unlink(
            incident_id=incident.pk,
            actor=request.user,
            expected_version=body["version"],
            reason=body["reason"],
        )
        return self._answer(self.get_object())

    @_change(VersionedSerializer, "The details were read back to the caller, who agreed.")
    @action(detail=True, methods=["post"], url_path="confirm-details")
    @idempotent
    def confirm_details(self, request, pk=None):
        incident, body = self._action_input(VersionedSerializer)
        services.confirm_details(
            incident_id=incident.pk, actor=request.user, expected_version=body["version"]
        )
        return self._answer(self.get_object())

    @extend_schema(
        responses={200: EventMessageSerializer(many=True), 404: NOT_FOUND},
        description="The timeline, oldest first; the same shape as the live board's events. "
        "The caller's contact details read [hidden] unless you may see them "
        "(caller_visible on the incident).",
    )
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        incident = self.get_object()
        visible = bool(self.caller_context([incident])["caller_visible_ids"])
        return Response(
            [event_message(e, caller_visible=visible) for e in selectors.timeline(incident)]
        )


class PriorityMatrixView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"get": ["incidents.view_prioritymatrix"]}

    @extend_schema(
        responses=PriorityMatrixSerializer,
        description="The impact and urgency levels, the priorities and every cell of the grid.",
    )
    def get(self, request):
        grid = selectors.matrix_grid()
        cells = [
            {
                "impact": impact.rank,
                "urgency": urgency.rank,
                "priority": getattr(grid["cells"].get((impact.pk, urgency.pk)), "code", None),
            }
            for impact in grid["impacts"]
            for urgency in grid["urgencies"]
        ]
        matrix = grid["matrix"]
        data = {**grid, "version": matrix.version if matrix else 0, "cells": cells}
        return Response(PriorityMatrixSerializer(data).data)


class CategoryListView(ListAPIView):
    """Active categories, with the guidance shown to agents while logging."""

    queryset = selectors.active_categories()
    serializer_class = CategorySerializer
    permission_classes = API_PERMISSIONS
    required_perms = {"get": ["incidents.view_category"]}
    pagination_class = None


class PriorityListView(ListAPIView):
    """Priorities with their SLA targets, most urgent first."""

    queryset = Priority.objects.all()
    serializer_class = PrioritySerializer
    permission_classes = API_PERMISSIONS
    required_perms = {"get": ["incidents.view_priority"]}
    pagination_class = None
