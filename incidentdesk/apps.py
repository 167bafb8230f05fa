from django.apps import AppConfig


class IncidentDeskConfig(AppConfig):
    """The project itself: installed last, so every app is loaded before the wiring."""

    name = "incidentdesk"
    verbose_name = "IncidentDesk"

    def ready(self):
        from incidentdesk import wiring  # the apps' modules can be imported only once ready

        wiring.connect()
