"""The board's REST reads: the snapshot, and what a board missed after a given event."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from board import rows as board
from core.api import API_PERMISSIONS

BOARD = ["incidents.view_board"]


class AfterSerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, help_text="The id of the last event the board applied."
    )


class BoardSnapshotView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"get": BOARD}

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "The board's starting point: open incident rows (sorted), resources, the event "
            "cursor to resume from and the server's time. Row shape: docs/architecture.md."
        ),
    )
    def get(self, request):
        return Response(board.snapshot())


class EventsAfterView(APIView):
    permission_classes = API_PERMISSIONS
    required_perms = {"get": BOARD}

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, required=True, description="Last id.")
        ],
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "Every event after `after`, in order, with the current rows of the incidents they "
            "touched and the new cursor; or `reset: true` with a full snapshot when the gap "
            f"is over {board.RESYNC_LIMIT} events. Events commit in id order, so resuming "
            "after the last applied id never skips one."
        ),
    )
    def get(self, request):
        query = AfterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(board.resync(query.validated_data["after"]))
