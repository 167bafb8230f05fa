"""API shapes for escalations; the alert shape is selectors.alert_row (one place)."""

from rest_framework import serializers

from escalation.models import Action, Level, Trigger


class AlertSerializer(serializers.Serializer):
    """Documents selectors.alert_row: an escalation as the board and the API show it."""

    id = serializers.IntegerField()
    incident_id = serializers.IntegerField()
    reference = serializers.CharField()
    summary = serializers.CharField()
    priority = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    level_label = serializers.CharField()
    step = serializers.CharField()
    trigger = serializers.ChoiceField(choices=Trigger.choices)
    action = serializers.ChoiceField(choices=Action.choices)
    repetition = serializers.IntegerField()
    fired_at = serializers.DateTimeField()
    first_fired_at = serializers.DateTimeField(
        help_text=(
            "When the run of unanswered firings this one ends began. Counted for the board's "
            "rows (selectors.open_alerts); this list gives each firing alone (its own time)."
        )
    )
    firings = serializers.IntegerField(
        help_text="Firings in that run: 1 the first, 3 after two reminders (this list: 1)."
    )
    told = serializers.ListField(child=serializers.CharField(), help_text="Groups and people.")
    needs_ack = serializers.BooleanField()
    ack_url = serializers.CharField(help_text="POST here to acknowledge the incident's alerts.")


class EscalationFilterSerializer(serializers.Serializer):
    unacknowledged = serializers.BooleanField(
        required=False, default=False, help_text="Only those waiting for acknowledgement."
    )


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, help_text="Required.")
    team = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="A specialist team (functional escalation); empty: one level up.",
    )


class AcknowledgeIncidentSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required: how the response was given by other means (who, how).",
    )


class ReapplySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class RunningEscalationSerializer(serializers.Serializer):
    incident_id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=Level.choices)
    level_label = serializers.CharField(source="get_level_display")
    team = serializers.CharField()
    policy = serializers.CharField(source="snapshot.policy_name", default=None)
