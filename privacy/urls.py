from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.dpo, name="dpo"),
    path("privacy/export/", views.export, name="export"),
    path("privacy/erase/", views.erase, name="erase"),
]
