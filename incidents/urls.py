from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.home, name="home"),
    path("priorities.css", views.priority_colours, name="priority-colours"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new/", views.new_incident, name="new"),
    path("incidents/new/assist/", views.new_incident_assist, name="assist"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/<slug:action>/", views.incident_action, name="action"),
]
