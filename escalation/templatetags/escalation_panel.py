"""The incident page's escalation sections: the banner and the panel."""

from django import template

from escalation.views import incident_panel

register = template.Library()


def _context(context, incident) -> dict:
    return {
        "incident": incident,
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
        "escalation": incident_panel(incident),
    }


@register.inclusion_tag("escalation/_banner.html", takes_context=True)
def escalation_banner(context, incident):
    return _context(context, incident)


@register.inclusion_tag("escalation/_panel.html", takes_context=True)
def escalation_panel(context, incident):
    return _context(context, incident)
