from django.apps import AppConfig


class CustomerCareConfig(AppConfig):
    name = "customer_care"
    verbose_name = "Customer care"

    def ready(self):
        # The timeline reads this app's codes in its words (incidents/timeline.py).
        from customer_care.models import (
            ClosureMethod,
            ResolutionCode,
            SatisfactionSource,
            UpdateChannel,
        )
        from incidents import timeline

        timeline.register_labels("update_channel", UpdateChannel)
        timeline.register_labels("resolution_code", ResolutionCode)
        timeline.register_labels("closure_method", ClosureMethod)
        timeline.register_labels("satisfaction_source", SatisfactionSource)
