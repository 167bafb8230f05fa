from django.urls import path

from dispatch import api

urlpatterns = [
    path("resources/", api.ResourceListView.as_view(), name="api-resources"),
    path(
        "incidents/<int:pk>/recommendations/",
        api.RecommendationsView.as_view(),
        name="api-recommendations",
    ),
    path(
        "incidents/<int:pk>/dispatches/",
        api.IncidentDispatchesView.as_view(),
        name="api-incident-dispatches",
    ),
    path("dispatches/<int:pk>/progress/", api.ProgressView.as_view(), name="api-progress"),
    path(
        "messages/<int:pk>/confirm-briefing/",
        api.ConfirmBriefingView.as_view(),
        name="api-confirm-briefing",
    ),
    path("broadcasts/", api.BroadcastView.as_view(), name="api-broadcasts"),
]
