from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.care_views import satisfaction_survey

admin.site.site_header = "IncidentDesk administration"
admin.site.site_title = "IncidentDesk admin"

urlpatterns = [
    path("", include("incidents.urls")),
    # Public: the customer's satisfaction survey, reached from the emailed link.
    path("satisfaction/<str:token>/", satisfaction_survey, name="satisfaction"),
    path("", include("dispatch.urls")),
    path("", include("escalation.urls")),
    path("", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("incidents.api_urls")),
    path("api/", include("dispatch.api_urls")),
    path("api/", include("escalation.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
