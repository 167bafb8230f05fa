from django import template

from core.formatting import humane_duration
from incidents.lifecycle import ResponseHow

register = template.Library()
register.filter("humane_duration", humane_duration)


@register.filter
def update_due(incident):
    """When the customer must next be updated (selectors.customer_update_due), or None."""
    from incidents.selectors import customer_update_due

    return customer_update_due(incident)


# What a timeline row's free text is, by event kind; anything else is a reason.
RATIONALE_LABELS = {
    "customer_updated": "Told the customer:",
    "customer_update_queued": "Message:",
    "customer_update_failed": "Error:",
    "resolved": "Notes:",
    "satisfaction_recorded": "Comment:",
    "response_met": "How:",
}


@register.filter
def rationale_label(event) -> str:
    return RATIONALE_LABELS.get(event.kind, "Why:")


@register.filter
def response_how(code: str) -> str:
    """The words for a response_met event's `how` code."""
    return ResponseHow(code).label if code in ResponseHow.values else str(code)
