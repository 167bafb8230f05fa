"""The API's JSON shapes.

Input serializers check types, shapes, choices and lengths only: which fields are mandatory
is decided by services.missing_fields, so those fields are not `required` here.
"""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from django.utils.duration import duration_iso_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from incidents import contact, selectors, services
from incidents.models import (
    Category,
    ContactChannel,
    EventKind,
    ImpactLevel,
    Incident,
    Priority,
    RecordType,
    SlaTimer,
    Status,
    UrgencyLevel,
    pk_from_reference,
)

# Model TextFields have no length; the API bounds what one request may store.
LONG_TEXT = 10_000
REASON_TEXT = 2_000
MAX_ASSET_REFS = 20


# ---- Input fields ---------------------------------------------------------------------------


class _Lookup:
    """A plain value (slug, rank, reference) that names a row; an unknown value is named back.

    Blank or null means "not given", so the service's missing-field message applies.
    """

    def __init__(self, *, queryset, lookup: str, not_found: str, **kwargs):
        self.queryset = queryset
        self.lookup = lookup
        self.not_found = not_found
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        value = super().run_validation(data)
        if value in (None, ""):
            if self.required:
                self.fail("required")
            return None
        found = self.find(value)
        if found is None:
            raise serializers.ValidationError(self.not_found.format(value=value))
        return found

    def find(self, value):
        return self.queryset.filter(**{self.lookup: value}).first()

    def to_representation(self, value):
        return getattr(value, self.lookup)


class SlugLookupField(_Lookup, serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, **kwargs)


class RankLookupField(_Lookup, serializers.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(lookup="rank", min_value=1, max_value=32767, **kwargs)


class IncidentReferenceField(_Lookup, serializers.CharField):
    """An incident named by its reference ("INC-000123") or its id (123 or "123")."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Incident.objects.select_related("parent"),
            lookup="pk",
            not_found="There is no incident “{value}”.",
            max_length=20,
            allow_blank=True,
            **kwargs,
        )

    def find(self, value):
        pk = pk_from_reference(value)
        return None if pk is None else super().find(pk)

    def to_representation(self, value):
        return value.reference


class CoordinateField(serializers.DecimalField):
    """Degrees within ±limit, rounded to the model's 6 decimal places (GPS often gives more)."""

    STEP = Decimal("0.000001")

    def __init__(self, *, limit: int, **kwargs):
        super().__init__(
            max_digits=9,
            decimal_places=6,
            min_value=Decimal(-limit),
            max_value=Decimal(limit),
            rounding=ROUND_HALF_UP,
            coerce_to_string=False,
            required=False,
            allow_null=True,
            **kwargs,
        )

    def validate_precision(self, value):
        try:
            rounded = value.quantize(self.STEP, rounding=self.rounding)
        except DecimalException:  # too large to round: out of range anyway
            self.fail("max_whole_digits", max_whole_digits=self.max_whole_digits)
        return super().validate_precision(rounded)


def _text(max_length: int, **kwargs):
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, **kwargs)


class VersionedSerializer(serializers.Serializer):
    """The version the client last read; the If-Match header may carry it instead."""

    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


class IncidentInputSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=RecordType.choices, required=False)
    # Defaults for the arguments log_incident requires; the service says when they are missing.
    contact_channel = serializers.ChoiceField(
        choices=ContactChannel.choices, allow_blank=True, default=""
    )
    caller_name = _text(120)
    caller_phone = _text(40)
    caller_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    location = _text(255)
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    category = SlugLookupField(
        queryset=selectors.active_categories(),
        lookup="slug",
        not_found="There is no active category “{value}”.",
        max_length=80,
        default=None,
        help_text="A category slug from /api/categories/.",
    )
    summary = _text(200, default="")
    description = _text(LONG_TEXT)
    asset_refs = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=MAX_ASSET_REFS,
        required=False,
        help_text=f"Asset numbers, at most {MAX_ASSET_REFS} of 64 characters each.",
    )
    impact = RankLookupField(
        queryset=ImpactLevel.objects.all(),
        not_found="There is no impact level with rank {value}.",
        default=None,
        help_text="An impact rank from /api/priority-matrix/.",
    )
    urgency = RankLookupField(
        queryset=UrgencyLevel.objects.all(),
        not_found="There is no urgency level with rank {value}.",
        default=None,
        help_text="An urgency rank from /api/priority-matrix/.",
    )
    details_confirmed = serializers.BooleanField(
        required=False, help_text="The details were read back to the caller, who agreed."
    )
    priority_justification = _text(REASON_TEXT)
    received_at = serializers.DateTimeField(
        required=False,
        help_text="When the contact came in (the SLA clocks start then); now if omitted. Not "
        "in the future; longer ago than RECEIVED_AT_REASON_AFTER_MINUTES needs "
        "received_at_reason.",
    )
    received_at_reason = _text(
        REASON_TEXT, help_text="Why a contact received a while ago is logged only now."
    )
    parent = IncidentReferenceField(
        help_text="The incident this call is about, if already logged (INC-000123 or an id)."
    )


class IncidentChangesSerializer(VersionedSerializer, IncidentInputSerializer):
    """A PATCH: only the fields services.update_incident may change, plus version and reason."""

    reason = _text(REASON_TEXT, help_text="Why the details change (kept on the timeline).")

    def get_fields(self):
        allowed = services.EDITABLE_FIELDS | {"version", "reason"}
        return {name: f for name, f in super().get_fields().items() if name in allowed}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be changed here."] for name in unknown}
                )
        return super().to_internal_value(data)


class StatusChangeSerializer(VersionedSerializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = _text(REASON_TEXT, default="")


class ReprioritiseSerializer(VersionedSerializer):
    impact = RankLookupField(
        queryset=ImpactLevel.objects.all(),
        not_found="There is no impact level with rank {value}.",
        required=True,
        allow_null=False,
    )
    urgency = RankLookupField(
        queryset=UrgencyLevel.objects.all(),
        not_found="There is no urgency level with rank {value}.",
        required=True,
        allow_null=False,
    )
    reason = _text(REASON_TEXT, default="")


class LinkSerializer(VersionedSerializer):
    parent = IncidentReferenceField(required=True, allow_null=False)
    reason = _text(REASON_TEXT, default="")


class ReasonSerializer(VersionedSerializer):
    reason = _text(REASON_TEXT, default="")


class IncidentFilterSerializer(serializers.Serializer):
    """The list's query parameters."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.CharField(max_length=8, required=False, help_text="A code, e.g. P1.")
    category = serializers.CharField(max_length=80, required=False, help_text="A category slug.")
    open = serializers.BooleanField(required=False, help_text="Only incidents not closed.")
    q = serializers.CharField(
        max_length=200, required=False, help_text="Reference, caller, location, summary, asset."
    )


# ---- Output ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class SecondsField(serializers.Field):
    def to_representation(self, value):
        return int(value.total_seconds())


@extend_schema_field(OpenApiTypes.DURATION)
class IsoDurationField(serializers.Field):
    def to_representation(self, value):
        return duration_iso_string(value)


class LevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactLevel
        fields = ["rank", "name", "criteria"]


class LevelBriefSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()


class PriorityBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Priority
        fields = ["code", "name", "colour"]


class PrioritySerializer(serializers.ModelSerializer):
    response_target_seconds = SecondsField(source="response_target")
    resolution_target_seconds = SecondsField(source="resolution_target")
    update_interval_seconds = SecondsField(source="update_interval")
    response_target = IsoDurationField()
    resolution_target = IsoDurationField()
    update_interval = IsoDurationField()

    class Meta:
        model = Priority
        fields = [
            "code",
            "rank",
            "name",
            "colour",
            "response_target",
            "response_target_seconds",
            "resolution_target",
            "resolution_target_seconds",
            "update_interval",
            "update_interval_seconds",
        ]


class CategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class CategorySerializer(serializers.ModelSerializer):
    questions = serializers.ListField(child=serializers.CharField(), source="question_list")
    checklist = serializers.ListField(child=serializers.CharField(), source="checklist_items")
    default_impact = serializers.IntegerField(source="default_impact.rank", allow_null=True)

    class Meta:
        model = Category
        fields = ["slug", "name", "questions", "checklist", "quick_reference", "default_impact"]


class TimerSerializer(serializers.ModelSerializer):
    target_seconds = SecondsField(source="target")

    class Meta:
        model = SlaTimer
        fields = [
            "kind",
            "target_seconds",
            "started_at",
            "due_at",
            "paused_at",
            "met_at",
            "follows_parent_since",
        ]
        extra_kwargs = {
            "follows_parent_since": {
                "help_text": "Set while a linked call follows its parent's clock for this kind "
                "(response, resolution): the parent's deadline is the one that counts."
            }
        }


class UpdateDueSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    paused = serializers.BooleanField()
    overdue = serializers.BooleanField()


@extend_schema_field(UpdateDueSerializer(allow_null=True))
class CustomerUpdateDueField(serializers.Field):
    """For the incident list: when the next customer update is due, and whether overdue."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, incident):
        due = selectors.customer_update_due(incident)
        return UpdateDueSerializer(due).data if due else None


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as the list shows it; everything comes from selectors.incidents_for_list."""

    reference = serializers.CharField()
    category = CategoryBriefSerializer()
    impact = LevelBriefSerializer()
    urgency = LevelBriefSerializer()
    priority = PriorityBriefSerializer()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False)
    details_confirmed = serializers.BooleanField()
    parent = serializers.CharField(source="parent.reference", allow_null=True)
    created_by = serializers.CharField(source="created_by.get_username")
    allowed_statuses = serializers.ListField(child=serializers.ChoiceField(Status.choices))
    timers = TimerSerializer(
        many=True, help_text="SLA timers (response, resolution, customer update), soonest first."
    )
    customer_update_due = CustomerUpdateDueField()
    escalation_level = serializers.SerializerMethodField(
        help_text="The running escalation's level: agent, supervisor, duty manager, head of "
        "operations (0–3); null for a record with no escalation."
    )
    caller_visible = serializers.SerializerMethodField(
        help_text="Whether you may see the caller's contact details here; when false, "
        "caller_name, caller_phone and caller_email are left out (incidents/contact.py)."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "version",
            "record_type",
            "status",
            "allowed_statuses",
            "contact_channel",
            "received_at",
            "caller_visible",
            "caller_name",
            "caller_phone",
            "caller_email",
            "location",
            "latitude",
            "longitude",
            "category",
            "summary",
            "description",
            "asset_refs",
            "impact",
            "urgency",
            "priority",
            "matrix_version",
            "priority_justification",
            "details_confirmed",
            "details_confirmed_at",
            "parent",
            "timers",
            "customer_update_due",
            "escalation_level",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_escalation_level(self, incident) -> int | None:
        escalation = getattr(incident, "escalation", None)
        return escalation.level if escalation else None

    def get_caller_visible(self, incident) -> bool:
        # Hidden unless the view said otherwise (IncidentActions.caller_context).
        return incident.pk in self.context.get("caller_visible_ids", ())

    def to_representation(self, incident):
        data = super().to_representation(incident)
        if not data["caller_visible"]:
            for name in contact.FIELDS:
                data.pop(name, None)
            for name in contact.TEXT_FIELDS:
                data[name] = contact.mask_text(data[name], incident)
        return data


class IncidentDetailSerializer(IncidentSerializer):
    """One incident, with the calls linked to it (selectors.incident_detail prefetches them)."""

    children = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "children"]
        read_only_fields = fields


class EventIncidentSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.CharField()
    version = serializers.IntegerField()


class EventMessageSerializer(serializers.Serializer):
    """Documents incidents.events.event_message, which renders both the API and live events."""

    id = serializers.IntegerField()
    incident_id = serializers.IntegerField()
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    data = serializers.DictField(
        help_text="The event's typed fields (ids, codes, UTC times): docs/timeline-catalogue.md."
    )
    text = serializers.CharField(help_text="What happened, in words (the one renderer's).")
    rationale = serializers.CharField()
    incident = EventIncidentSerializer()


class MatrixCellSerializer(serializers.Serializer):
    impact = serializers.IntegerField(help_text="Impact rank.")
    urgency = serializers.IntegerField(help_text="Urgency rank.")
    priority = serializers.CharField(allow_null=True, help_text="Priority code; null if unset.")


class PriorityMatrixSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    impacts = LevelSerializer(many=True)
    urgencies = LevelSerializer(many=True)
    priorities = PrioritySerializer(many=True)
    cells = MatrixCellSerializer(many=True)
