"""Forms of the customer-care actions: they parse types; the rules are the services'."""

from django import forms

from customer_care.models import CONFIRMED_METHODS, ResolutionCode, UpdateChannel

SCORES = [
    (n, f"{n} – {label}")
    for n, label in enumerate(
        ["very unhappy", "unhappy", "neither", "happy", "very happy"], start=1
    )
]


class CustomerUpdateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(choices=UpdateChannel.choices, label="How")
    message = forms.CharField(
        max_length=2_000,
        required=False,
        label="What the customer was told",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send = forms.BooleanField(required=False, label="Send it by email now (from a worker)")
    include_linked = forms.BooleanField(
        required=False, label="Give the same update to every linked caller"
    )


class ResolveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.ChoiceField(
        choices=[("", "—"), *ResolutionCode.choices], required=False, label="Resolution code"
    )
    notes = forms.CharField(
        max_length=2_000,
        required=False,
        label="Resolution notes",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(
        choices=[("", "—"), *((m.value, m.label) for m in CONFIRMED_METHODS)],
        required=False,
        label="How the customer confirmed",
    )
    confirmed_by = forms.CharField(max_length=120, required=False, label="Who confirmed")
    include_linked = forms.BooleanField(
        required=False, label="Also resolve and close every linked call"
    )


class ReopenForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=2_000, required=False)


class SatisfactionForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label="Score"
    )
    comment = forms.CharField(
        max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AgentSatisfactionForm(SatisfactionForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
