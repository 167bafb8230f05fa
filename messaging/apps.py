from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messages"

    def ready(self):
        # The timeline reads this app's codes in its words (incidents/timeline.py).
        from incidents import timeline
        from messaging.channels import Channel
        from messaging.models import DeliveryStatus, MessageKind

        timeline.register_labels("dispatch_channel", Channel)
        timeline.register_labels("delivery_status", DeliveryStatus)
        timeline.register_labels("message_kind", MessageKind)
