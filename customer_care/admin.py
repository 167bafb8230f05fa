"""Customer-care records in Django admin: written by customer_care/services.py, only shown here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from customer_care.models import Closure, CustomerUpdate, Resolution, Satisfaction, SatisfactionLink


class _ByIncident(ReadOnlyAdmin):
    list_select_related = ("incident",)
    search_fields = ("incident__summary", "incident__caller_name")

    @admin.display(description="incident", ordering="incident_id")
    def reference(self, row):
        return row.incident.reference


@admin.register(CustomerUpdate)
class CustomerUpdateAdmin(_ByIncident):
    list_display = ("reference", "given_at", "channel", "delivery_status", "actor", "attempts")
    list_select_related = ("incident", "actor", "outbound")
    list_filter = ("channel", "delivery_status")
    date_hierarchy = "given_at"


@admin.register(Resolution)
class ResolutionAdmin(_ByIncident):
    list_display = ("reference", "resolved_at", "code", "resolved_by")
    list_filter = ("code",)


@admin.register(Closure)
class ClosureAdmin(_ByIncident):
    list_display = ("reference", "closed_at", "method", "confirmed_by", "closed_by")
    list_filter = ("method",)


@admin.register(Satisfaction)
class SatisfactionAdmin(_ByIncident):
    list_display = ("reference", "at", "score", "source")
    list_filter = ("score", "source")


@admin.register(SatisfactionLink)
class SatisfactionLinkAdmin(_ByIncident):
    list_display = ("reference", "created_at", "sent_at", "expires_at", "used_at")
