from django.urls import path

from escalation import api

urlpatterns = [
    path("escalations/", api.EscalationListView.as_view(), name="api-escalations"),
    path(
        "incidents/<int:pk>/acknowledge-escalation/",
        api.AcknowledgeView.as_view(),
        name="api-acknowledge-escalation",
    ),
    path(
        "incidents/<int:pk>/acknowledge/",
        api.AcknowledgeIncidentView.as_view(),
        name="api-acknowledge-incident",
    ),
    path("incidents/<int:pk>/escalate/", api.EscalateView.as_view(), name="api-escalate"),
    path(
        "incidents/<int:pk>/reapply-policy/",
        api.ReapplyPolicyView.as_view(),
        name="api-reapply-policy",
    ),
]
