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
        **_once_per_page(incident),
    }


def _once_per_page(incident) -> dict:
    """The record and the actions show the same reads: made once for the page's incident
    (the object lives as long as the request that renders it)."""
    if "_care_context" not in incident.__dict__:
        incident.__dict__["_care_context"] = detail_context(incident)
    return incident.__dict__["_care_context"]


@register.inclusion_tag("customer_care/_care_record.html", takes_context=True)
def care_record(context, incident):
    return _context(context, incident)


@register.inclusion_tag("customer_care/_care_actions.html", takes_context=True)
def care_actions(context, incident):
    return _context(context, incident)
