from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "SLA and escalation"

    def ready(self):
        # The timeline reads this app's codes in its words (incidents/timeline.py).
        from escalation.models import Action, Level, Trigger
        from incidents import timeline

        timeline.register_labels("escalation_level", Level)
        timeline.register_labels("escalation_action", Action)
        timeline.register_labels("escalation_trigger", Trigger)
