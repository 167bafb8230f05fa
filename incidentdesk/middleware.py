from django.contrib.auth.middleware import LoginRequiredMiddleware

from incidentdesk import health, scrape


class PagesRequireLogin(LoginRequiredMiddleware):
    """Every page needs a login, so a new page is private unless it says otherwise.

    The API is left to DRF, which answers 401/403 in JSON instead of redirecting, and
    accepts tokens that this middleware cannot see.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class Probes:
    """Answers /healthz, /readyz and /metrics before any other middleware: before the host
    check (kubelets and Prometheus call a pod by its IP, which ALLOWED_HOSTS does not
    list), sessions and login. Nothing else is served on these paths."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": scrape.view}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        return view(request) if view else self.get_response(request)
