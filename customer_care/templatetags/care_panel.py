"""The incident page's customer-care sections: the record and the actions."""

from django import template

from customer_care.views import detail_context

register = template.Library()


def _context(context, incident) -> dict:
    return {
        "incident": incident,
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
        # Set by the incident page (incidents.contact.may_view); hidden when absent.
        "caller_visible": context.get("caller_visible", False),
        **detail_context(incident),
    }


@register.inclusion_tag("customer_care/_care_record.html", takes_context=True)
def care_record(context, incident):
    return _context(context, incident)


@register.inclusion_tag("customer_care/_care_actions.html", takes_context=True)
def care_actions(context, incident):
    return _context(context, incident)
