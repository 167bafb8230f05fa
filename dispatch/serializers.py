"""The dispatch API's JSON shapes; inputs check types and lengths, the services the rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch.models import Broadcast, Dispatch, DispatchStatus, Resource, ResourceStatus
from incidents import contact
from incidents.models import reference_for
from messaging.channels import Channel
from messaging.models import Message

TEXT = 4_000


class EndpointSerializer(serializers.Serializer):
    channel = serializers.CharField()
    address = serializers.CharField()


class ResourceSerializer(serializers.ModelSerializer):
    skills = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    endpoints = EndpointSerializer(many=True, read_only=True)
    verified = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "id",
            "name",
            "kind",
            "call_sign",
            "status",
            "skills",
            "groups",
            "endpoints",
            "latitude",
            "longitude",
            "base",
            "verified",
            "verified_until",
            "current",
        ]

    def get_verified(self, resource) -> bool:
        return resource.is_verified()

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "reference": {"type": "string"}},
        }
    )
    def get_current(self, resource) -> dict | None:
        incident_id = getattr(resource, "current_incident", None)
        return {"id": incident_id, "reference": reference_for(incident_id)} if incident_id else None


class ResourceFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ResourceStatus.choices, required=False)
    skill = serializers.SlugField(required=False, help_text="A category slug.")
    group = serializers.CharField(required=False, max_length=80)


class RecommendedResourceSerializer(serializers.ModelSerializer):
    endpoints = EndpointSerializer(many=True, read_only=True)

    class Meta:
        model = Resource
        fields = ["id", "name", "kind", "call_sign", "endpoints", "latitude", "longitude", "base"]


class RecommendationSerializer(serializers.Serializer):
    resource = RecommendedResourceSerializer()
    rank = serializers.IntegerField()
    distance_km = serializers.FloatField(allow_null=True)
    load = serializers.IntegerField()
    channel = serializers.CharField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


class MessageSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(help_text="The resource's call sign.")
    error = serializers.CharField(source="last_error")

    class Meta:
        model = Message
        fields = [
            "id",
            "kind",
            "recipient",
            "channel",
            "address",
            "status",
            "attempts",
            "error",
            "sent_at",
            "confirmed_at",
        ]


class DispatchSerializer(serializers.ModelSerializer):
    resource = serializers.CharField(source="resource.call_sign")
    incident = serializers.CharField(source="incident.reference")
    dispatched_by = serializers.CharField(source="dispatched_by.get_username")
    messages = MessageSerializer(many=True, read_only=True)

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "incident",
            "resource",
            "channel",
            "briefing",
            "status",
            "dispatched_by",
            "override_reason",
            "dispatched_at",
            "acknowledged_at",
            "en_route_at",
            "on_scene_at",
            "cleared_at",
            "recalled_at",
            "recall_reason",
            "messages",
        ]

    def to_representation(self, dispatch):
        data = super().to_representation(dispatch)
        # Unset: the answer to the dispatcher who wrote the briefing (dispatch, progress).
        if not self.context.get("caller_visible", True):
            for name in ("briefing", "override_reason", "recall_reason"):
                data[name] = contact.mask_text(data[name], dispatch.incident)
        return data


class DispatchInputSerializer(serializers.Serializer):
    resource = serializers.IntegerField(help_text="The resource's id.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    briefing = serializers.CharField(
        max_length=TEXT,
        required=False,
        default="",
        help_text="Left out: the briefing prefilled from the incident (as the incident page "
        "proposes it).",
    )
    override_reason = serializers.CharField(max_length=2_000, required=False, default="")
    briefed_by_voice = serializers.BooleanField(required=False, default=False)


class ProgressInputSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=[(s, DispatchStatus(s).label) for s in DispatchStatus if s != "dispatched"]
    )
    reason = serializers.CharField(max_length=2_000, required=False, default="", allow_blank=True)


class BroadcastInputSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    group = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    body = serializers.CharField(max_length=TEXT)


class BroadcastSerializer(serializers.ModelSerializer):
    incident = serializers.CharField(source="incident.reference")
    group = serializers.CharField(source="group.name")
    sent_by = serializers.CharField(source="sent_by.get_username")
    messages = MessageSerializer(many=True, read_only=True)

    class Meta:
        model = Broadcast
        fields = ["id", "incident", "group", "channel", "body", "sent_by", "sent_at", "messages"]
