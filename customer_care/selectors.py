"""Reads of customer care the incident page and the API share."""

from django.db.models import QuerySet

from customer_care.models import CustomerUpdate
from incidents.models import Incident


def customer_updates(incident: Incident) -> QuerySet[CustomerUpdate]:
    return incident.customer_updates.select_related("actor", "via_parent", "outbound")


def care_record(incident: Incident) -> dict:
    """What the incident page and the API show of resolution, closure and satisfaction."""
    return {
        "resolution": incident.resolutions.select_related("resolved_by").first(),
        "closure": incident.closures.select_related("closed_by").first(),
        "satisfaction": list(incident.satisfaction.select_related("recorded_by")),
        "survey": incident.satisfaction_links.order_by("-created_at").first(),
    }
