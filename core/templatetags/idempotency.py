"""`{% idempotency_key %}`: the hidden field that makes a page form retry-safe (a new key
per render, so a double submit or a resend after a lost answer does nothing twice)."""

import uuid

from django import template
from django.utils.html import format_html

from core.idempotency import FORM_FIELD

register = template.Library()


@register.simple_tag
def idempotency_key():
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, uuid.uuid4().hex)
