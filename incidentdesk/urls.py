from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

admin.site.site_header = "IncidentDesk administration"
admin.site.site_title = "IncidentDesk admin"

# The split view serves its start-up script as a file: no inline script under the CSP.
api_docs = SpectacularSwaggerSplitView.as_view(url_name="schema")
if not settings.API_DOCS_PUBLIC:
    # A person opening the docs logs in first (the schema itself answers 401 to anonymous).
    api_docs = login_required(api_docs)

# Says whether what was sent was saved, and needs no database to say it (core/views.py).
handler500 = "core.views.server_error"

urlpatterns = [
    # Before incidents: its incident actions (resolve, close…) share the incident page's URLs.
    path("", include("customer_care.urls")),
    path("", include("incidents.urls")),
    path("", include("dispatch.urls")),
    path("", include("board.urls")),
    path("", include("escalation.urls")),
    path("", include("privacy.urls")),
    # Log in and out only: no self-service password reset (docs/security.md says why).
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("customer_care.api_urls")),
    path("api/", include("incidents.api_urls")),
    path("api/", include("board.api_urls")),
    path("api/", include("dispatch.api_urls")),
    path("api/", include("escalation.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
]
