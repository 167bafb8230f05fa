from django.urls import path

from customer_care import views

urlpatterns = [
    # The incident page's care forms post here: incidents/<pk>/resolve/ …
    *(
        path(f"incidents/<int:pk>/{action}/", views.incident_action, {"action": action})
        for action in views.ACTIONS
    ),
    # Public: the customer's satisfaction survey, reached from the emailed link.
    path("satisfaction/<str:token>/", views.satisfaction_survey, name="satisfaction"),
]
