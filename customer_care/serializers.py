"""JSON shapes of the customer-care endpoints (incidents/care_api.py)."""

from rest_framework import serializers

from customer_care.models import (
    CONFIRMED_METHODS,
    Closure,
    CustomerUpdate,
    Resolution,
    ResolutionCode,
    Satisfaction,
    UpdateChannel,
)
from incidents import contact
from incidents.serializers import REASON_TEXT, UpdateDueSerializer, VersionedSerializer


def _text(max_length: int, **kwargs):
    return serializers.CharField(max_length=max_length, allow_blank=True, **kwargs)


# ---- Input ----------------------------------------------------------------------------------


class CustomerUpdateInputSerializer(VersionedSerializer):
    channel = serializers.ChoiceField(choices=UpdateChannel.choices)
    message = _text(REASON_TEXT, default="", help_text="What the customer was told.")
    send = serializers.BooleanField(
        default=False,
        help_text="Send it now (email or sms, from a worker) instead of recording it.",
    )
    include_linked = serializers.BooleanField(
        default=False, help_text="Give the same update to every caller linked to this incident."
    )


class ResolveSerializer(VersionedSerializer):
    code = serializers.ChoiceField(choices=ResolutionCode.choices)
    notes = _text(REASON_TEXT, default="", help_text="Required: what was done.")


class CloseSerializer(VersionedSerializer):
    method = serializers.ChoiceField(
        choices=[(m.value, m.label) for m in CONFIRMED_METHODS],
        help_text="How the customer confirmed the fix.",
    )
    confirmed_by = _text(120, default="", help_text="Required: who confirmed it.")
    confirmed_at = serializers.DateTimeField(required=False, help_text="Now if omitted.")
    include_linked = serializers.BooleanField(
        default=False, help_text="Also resolve and close every call linked to this incident."
    )


class ReopenSerializer(VersionedSerializer):
    reason = _text(REASON_TEXT, default="", help_text="Required: why it is reopened.")


class SatisfactionInputSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = _text(REASON_TEXT, default="")


# ---- Output ---------------------------------------------------------------------------------


class _CallerHidden(serializers.ModelSerializer):
    """A care row without the caller's details unless the context says `caller_visible`
    (incidents/contact.py): the address or name fields read HIDDEN, and exact copies of the
    caller's details inside free text are masked."""

    caller_fields: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("caller_visible"):
            return data
        for name in self.caller_fields:
            if data.get(name):
                data[name] = contact.HIDDEN
        for name in self.text_fields:
            data[name] = contact.mask_text(data[name], instance.incident)
        return data


class CustomerUpdateSerializer(_CallerHidden):
    caller_fields = ("recipient",)
    text_fields = ("message",)

    reference = serializers.CharField(source="incident.reference")
    attempts = serializers.IntegerField(help_text="Delivery attempts of a sent update.")
    delivered_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(help_text="The last delivery attempt's error.")
    message_status = serializers.CharField(
        source="outbound.status",
        allow_null=True,
        default=None,
        help_text="The outbound message's own status (queued, retrying, sent…); null when "
        "the update was recorded, not sent.",
    )
    actor = serializers.CharField(source="actor.get_username")
    via_parent = serializers.CharField(source="via_parent.reference", allow_null=True)

    class Meta:
        model = CustomerUpdate
        fields = [
            "id",
            "reference",
            "channel",
            "message",
            "given_at",
            "actor",
            "delivery_status",
            "recipient",
            "attempts",
            "delivered_at",
            "error",
            "via_parent",
            "message_status",
        ]
        read_only_fields = fields


class UpdatesGivenSerializer(serializers.Serializer):
    updates = CustomerUpdateSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.CharField(),
        help_text="Linked calls left out: no email address for the caller.",
    )


class ResolutionSerializer(_CallerHidden):
    text_fields = ("notes",)

    resolved_by = serializers.CharField(source="resolved_by.get_username")

    class Meta:
        model = Resolution
        fields = ["code", "notes", "resolved_at", "resolved_by"]
        read_only_fields = fields


class ClosureSerializer(_CallerHidden):
    caller_fields = ("confirmed_by",)

    closed_by = serializers.CharField(source="closed_by.get_username", allow_null=True)
    confirmed = serializers.BooleanField()

    class Meta:
        model = Closure
        fields = ["method", "confirmed", "confirmed_by", "confirmed_at", "closed_at", "closed_by"]
        read_only_fields = fields


class SatisfactionSerializer(_CallerHidden):
    text_fields = ("comment",)

    recorded_by = serializers.CharField(source="recorded_by.get_username", allow_null=True)

    class Meta:
        model = Satisfaction
        fields = ["score", "comment", "source", "recorded_by", "at"]
        read_only_fields = fields


class CareRecordSerializer(serializers.Serializer):
    """Where the incident stands with its customer."""

    customer_update_due = UpdateDueSerializer(allow_null=True)
    resolution = ResolutionSerializer(allow_null=True, help_text="The latest resolution.")
    closure = ClosureSerializer(allow_null=True, help_text="The latest closure.")
    satisfaction = SatisfactionSerializer(many=True)
    updates = CustomerUpdateSerializer(many=True, help_text="Updates given, newest first.")
