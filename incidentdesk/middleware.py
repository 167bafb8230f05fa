from django.contrib.auth.middleware import LoginRequiredMiddleware


class PagesRequireLogin(LoginRequiredMiddleware):
    """Every page needs a login, so a new page is private unless it says otherwise.

    The API is left to DRF, which answers 401/403 in JSON instead of redirecting, and
    accepts tokens that this middleware cannot see.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
