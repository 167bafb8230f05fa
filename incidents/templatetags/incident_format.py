from django import template

from core.formatting import humane_duration
from incidents import timeline

register = template.Library()
register.filter("humane_duration", humane_duration)
# What a timeline event says happened, in words: the one renderer's, as the API and board.
register.filter("event_text", timeline.render)


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
