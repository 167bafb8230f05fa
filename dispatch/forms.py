"""Page forms for dispatching, progress and broadcast; the rules are the services'."""

from django import forms

from dispatch.models import DispatchStatus
from messaging.channels import Channel

TEXT = 4_000


class DispatchForm(forms.Form):
    resource = forms.IntegerField(widget=forms.RadioSelect)
    channel = forms.ChoiceField(choices=Channel.choices)
    briefing = forms.CharField(max_length=TEXT, widget=forms.Textarea(attrs={"rows": 6}))
    briefed_by_voice = forms.BooleanField(
        required=False, label="I have briefed them by radio or phone just now"
    )
    override_reason = forms.CharField(
        max_length=2_000,
        required=False,
        label="Override reason (only to send a resource that is not deployable)",
    )


class ProgressForm(forms.Form):
    step = forms.ChoiceField(choices=DispatchStatus.choices)
    reason = forms.CharField(max_length=2_000, required=False)


class StatusLinkForm(forms.Form):
    step = forms.ChoiceField(
        choices=[
            (s, DispatchStatus(s).label)
            for s in (
                DispatchStatus.ACKNOWLEDGED,
                DispatchStatus.EN_ROUTE,
                DispatchStatus.ON_SCENE,
                DispatchStatus.CLEARED,
            )
        ]
    )


class BroadcastForm(forms.Form):
    group = forms.IntegerField()
    channel = forms.ChoiceField(choices=Channel.choices)
    body = forms.CharField(max_length=TEXT, widget=forms.Textarea(attrs={"rows": 3}))
