from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        # The timeline reads this app's codes in its words (incidents/timeline.py).
        from incidents import timeline
        from incidents.lifecycle import ResponseHow
        from incidents.models import ContactChannel, RecordType, Status

        timeline.register_labels("status", Status)
        timeline.register_labels("contact_channel", ContactChannel)
        timeline.register_labels("record_type", RecordType)
        timeline.register_labels("response_how", ResponseHow)
