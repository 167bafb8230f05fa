from django import template

from core.formatting import humane_duration
from incidents import contact

register = template.Library()
register.filter("humane_duration", humane_duration)


@register.filter
def event_text(event, caller_visible=True) -> str:
    """What a timeline event says happened, in words: the one renderer's, as the API and
    board; the caller's contact details hidden unless caller_visible (incidents/contact.py)."""
    return contact.event_text(event, visible=bool(caller_visible))


@register.filter
def hide_caller(text, incident) -> str:
    """Free text with exact copies of the incident's caller details hidden."""
    return contact.mask_text(text, incident)


@register.filter
def event_rationale(event, caller_visible=True) -> str:
    return contact.rationale(event, visible=bool(caller_visible))


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
