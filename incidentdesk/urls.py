from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "IncidentDesk administration"
admin.site.site_title = "IncidentDesk admin"

# Says whether what was sent was saved, and needs no database to say it (core/views.py).
handler500 = "core.views.server_error"

urlpatterns = [
    # Before incidents: its incident actions (resolve, close…) share the incident page's URLs.
    path("", include("customer_care.urls")),
    path("", include("incidents.urls")),
    path("", include("dispatch.urls")),
    path("", include("board.urls")),
    path("", include("escalation.urls")),
    path("", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("customer_care.api_urls")),
    path("api/", include("incidents.api_urls")),
    path("api/", include("board.api_urls")),
    path("api/", include("dispatch.api_urls")),
    path("api/", include("escalation.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
