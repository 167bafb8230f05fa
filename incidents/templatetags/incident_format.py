from django import template

from incidents.formatting import humane_duration

register = template.Library()
register.filter("humane_duration", humane_duration)


@register.filter
def update_due(incident):
    """When the customer must next be updated (selectors.customer_update_due), or None."""
    from incidents.selectors import customer_update_due

    return customer_update_due(incident)
