from django import template

from incidents.formatting import humane_duration

register = template.Library()
register.filter("humane_duration", humane_duration)
