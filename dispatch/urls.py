from django.urls import path

from dispatch import pages

app_name = "dispatch"
urlpatterns = [
    path("dispatch/incident/<int:pk>/", pages.create_dispatch, name="create"),
    path("dispatch/incident/<int:pk>/broadcast/", pages.broadcast, name="broadcast"),
    path("dispatch/<int:pk>/progress/", pages.progress, name="progress"),
    path("dispatch/message/<int:pk>/confirm/", pages.confirm_briefing, name="confirm-briefing"),
    path("status/<str:token>/", pages.status_link, name="status-link"),
]
