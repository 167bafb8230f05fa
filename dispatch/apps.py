from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self):
        # The timeline reads this app's codes in its words (incidents/timeline.py).
        from dispatch.models import DispatchStatus
        from incidents import timeline

        timeline.register_labels("dispatch_status", DispatchStatus)
