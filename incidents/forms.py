"""Page forms: they parse types and choices; the mandatory rules are the services' (one place)."""

import uuid

from django import forms
from django.utils import timezone

from incidents import selectors
from incidents.models import (
    ContactChannel,
    ImpactLevel,
    Incident,
    RecordType,
    Status,
    UrgencyLevel,
    pk_from_reference,
)

MAX_ASSETS = 20


def _field(name: str):
    return Incident._meta.get_field(name)


class LevelChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class NewIncidentForm(forms.Form):
    record_type = forms.ChoiceField(
        choices=RecordType.choices,
        initial=RecordType.INCIDENT,
        widget=forms.Select(attrs={"autofocus": True}),
    )
    contact_channel = forms.ChoiceField(
        choices=[("", "—"), *ContactChannel.choices], required=False, label="Contacted us by"
    )
    received_at = forms.DateTimeField(
        required=False,
        label="Received at",
        help_text="When the contact came in: the clocks start then.",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": 1}, format="%Y-%m-%dT%H:%M:%S"
        ),
    )
    received_at_reason = forms.CharField(
        max_length=2_000,
        required=False,
        label="Why it is logged only now",
        help_text="Needed when the contact came in a while ago (e.g. an email read late).",
    )
    caller_name = forms.CharField(max_length=_field("caller_name").max_length, required=False)
    caller_phone = forms.CharField(max_length=_field("caller_phone").max_length, required=False)
    caller_email = forms.EmailField(max_length=_field("caller_email").max_length, required=False)
    category = forms.ModelChoiceField(
        queryset=selectors.active_categories(), required=False, empty_label="—"
    )
    location = forms.CharField(
        max_length=_field("location").max_length, required=False, label="Exact location"
    )
    summary = forms.CharField(max_length=_field("summary").max_length, required=False)
    description = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    asset_refs = forms.CharField(
        max_length=2_000,
        required=False,
        label="Asset numbers",
        help_text="Separate several with commas.",
    )
    impact = LevelChoice(queryset=ImpactLevel.objects.all(), required=False, empty_label="—")
    urgency = LevelChoice(queryset=UrgencyLevel.objects.all(), required=False, empty_label="—")
    priority_justification = forms.CharField(
        max_length=2_000,
        required=False,
        label="Why this impact and urgency",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    details_confirmed = forms.BooleanField(
        required=False, label="I read the details back to the caller and they confirmed them"
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("idempotency_key", uuid.uuid4().hex)
        # Now, in the centre's time zone: the agent changes it for a contact read late.
        initial.setdefault("received_at", timezone.localtime().replace(microsecond=0))
        super().__init__(*args, **kwargs)

    def clean_asset_refs(self):
        text = self.cleaned_data["asset_refs"].replace("\n", ",")
        refs = [ref.strip() for ref in text.split(",") if ref.strip()]
        if len(refs) > MAX_ASSETS or any(len(ref) > 64 for ref in refs):
            raise forms.ValidationError(f"At most {MAX_ASSETS} asset numbers of 64 characters.")
        return refs

    def clean_parent(self):
        pk = self.cleaned_data["parent"]
        if pk is None:
            return None
        parent = Incident.objects.filter(pk=pk).first()
        if parent is None:
            raise forms.ValidationError("The incident to link to no longer exists.")
        return parent

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("idempotency_key")
        return data


class StatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=Status.choices, label="Move to")
    reason = forms.CharField(max_length=2_000, required=False)


class ReprioritiseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    impact = LevelChoice(queryset=ImpactLevel.objects.all())
    urgency = LevelChoice(queryset=UrgencyLevel.objects.all())
    reason = forms.CharField(max_length=2_000, required=False)


class LinkForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    parent = forms.CharField(max_length=20, label="Parent reference", help_text="e.g. INC-000123")
    reason = forms.CharField(max_length=2_000, required=False)

    def clean_parent(self):
        pk = pk_from_reference(self.cleaned_data["parent"])
        if pk is None:
            raise forms.ValidationError("Enter a reference like INC-000123.")
        return pk


class UnlinkForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=2_000, required=False)


class ConfirmForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
