"""The incident page's dispatch sections, so the incident view stays as it is."""

from django import template

from dispatch import selectors
from dispatch.models import ResourceGroup
from messaging.channels import Channel

register = template.Library()


@register.inclusion_tag("dispatch/_incident_dispatch.html", takes_context=True)
def dispatch_panel(context, incident):
    user = context["request"].user
    may_dispatch = user.has_perm("dispatch.add_dispatch") and incident.takes_resources
    choices = selectors.dispatch_choices(incident) if may_dispatch else None
    return {
        "incident": incident,
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
        "may_dispatch": may_dispatch,
        "may_progress": user.has_perm("dispatch.change_dispatch"),
        "may_broadcast": user.has_perm("dispatch.send_broadcast") and incident.takes_resources,
        "may_view": user.has_perm("dispatch.view_dispatch"),
        "choices": choices,
        "choice_values": [c.value for c in choices["channel_order"]] if choices else [],
        "channels": Channel.choices,
        "dispatches": list(selectors.incident_dispatches(incident)),
        "broadcasts": list(selectors.incident_broadcasts(incident)),
        "groups": list(ResourceGroup.objects.all()) if may_dispatch else [],
    }
