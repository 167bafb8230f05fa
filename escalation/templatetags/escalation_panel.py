"""The incident page's escalation sections: the banner and the panel."""

from django import template

from escalation.views import incident_panel

register = template.Library()


def _context(context, incident) -> dict:
    return {
        "incident": incident,
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
        "escalation": _once_per_page(incident),
    }


def _once_per_page(incident):
    """The banner and the panel show the same reads: made once for the page's incident
    (the object lives as long as the request that renders it)."""
    if "_escalation_panel" not in incident.__dict__:
        incident.__dict__["_escalation_panel"] = incident_panel(incident)
    return incident.__dict__["_escalation_panel"]


@register.inclusion_tag("escalation/_banner.html", takes_context=True)
def escalation_banner(context, incident):
    return _context(context, incident)


@register.inclusion_tag("escalation/_panel.html", takes_context=True)
def escalation_panel(context, incident):
    return _context(context, incident)
