"""Admin: resources, groups and channel rules are edited here; dispatches and broadcasts
are written only by the services, so they are read-only (their messages: messaging/admin.py).

A resource's status and verification change through services (admin actions), so the board
hears about the change and the verifier is always the person who checked.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from dispatch import services
from dispatch.models import (
    Broadcast,
    ChannelRule,
    ContactEndpoint,
    Dispatch,
    Resource,
    ResourceGroup,
    ResourceStatus,
)
from messaging.channels import Channel

VERIFICATION_PERIOD = timedelta(hours=12)


class ContactEndpointForm(forms.ModelForm):
    """The webhook secret is write-only: the page never shows it (not even masked in the
    HTML); a value typed in replaces it, a blank field keeps the current one."""

    secret = forms.CharField(
        required=False,
        strip=False,
        max_length=ContactEndpoint._meta.get_field("secret").max_length,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        label="New secret",
        help_text="Webhook only. Leave blank to keep the current secret (never shown).",
    )

    class Meta:
        model = ContactEndpoint
        fields = ["channel", "address", "secret"]

    def clean_secret(self):
        return self.cleaned_data["secret"] or self.instance.secret


class ContactEndpointInline(admin.TabularInline):
    model = ContactEndpoint
    form = ContactEndpointForm
    extra = 1


def _run(modeladmin, request, queryset, call, done: str):
    for resource in queryset:
        try:
            call(resource)
        except DomainError as refusal:
            modeladmin.message_user(request, f"{resource}: {refusal}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{resource}: {done}", messages.SUCCESS)


@admin.action(description="Verify identity and authority now (valid 12 hours)")
def verify(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        lambda r: services.verify_resource(
            resource_id=r.pk, actor=request.user, valid_for=VERIFICATION_PERIOD
        ),
        "verified.",
    )


def _status_action(status: str):
    def action(modeladmin, request, queryset):
        _run(
            modeladmin,
            request,
            queryset,
            lambda r: services.set_resource_status(
                resource_id=r.pk, status=status, actor=request.user
            ),
            f"now {ResourceStatus(status).label.lower()}.",
        )

    action.__name__ = f"mark_{status}"
    return admin.action(description=f"Mark {ResourceStatus(status).label.lower()}")(action)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("call_sign", "name", "kind", "status", "verified_until", "base")
    list_filter = ("status", "kind", "skills", "groups")
    search_fields = ("call_sign", "name", "base")
    filter_horizontal = ("skills", "groups")
    readonly_fields = ("status", "verified_by", "verified_at", "verified_until")
    inlines = [ContactEndpointInline]
    actions = [
        verify,
        _status_action(ResourceStatus.AVAILABLE),
        _status_action(ResourceStatus.UNAVAILABLE),
        _status_action(ResourceStatus.OFF_DUTY),
    ]


@admin.register(ResourceGroup)
class ResourceGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)


class ChannelRuleForm(forms.ModelForm):
    """Channels typed in order, e.g. "radio, phone"."""

    channels = forms.CharField(
        help_text="In order, comma separated: " + ", ".join(Channel.values),
    )

    class Meta:
        model = ChannelRule
        fields = ["category", "priority", "channels", "share_caller_contact"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["channels"] = ", ".join(self.instance.channels)

    def clean_channels(self):
        return [c.strip().lower() for c in self.cleaned_data["channels"].split(",") if c.strip()]


@admin.register(ChannelRule)
class ChannelRuleAdmin(admin.ModelAdmin):
    form = ChannelRuleForm
    list_display = ("category", "priority", "order", "share_caller_contact")
    list_filter = ("category", "priority")

    @admin.display(description="Channels, first choice first")
    def order(self, rule):
        return " → ".join(Channel(c).label for c in rule.channels if c in Channel.values)


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdmin):
    list_display = ("resource", "incident", "status", "channel", "dispatched_at", "dispatched_by")
    list_filter = ("status", "channel")
    search_fields = ("resource__call_sign", "resource__name")
    list_select_related = ("resource", "incident", "dispatched_by")


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    list_display = ("group", "incident", "channel", "sent_at", "sent_by")
    list_filter = ("channel", "group")
    list_select_related = ("group", "incident", "sent_by")
