"""Page forms for escalation actions: parse types; the rules are the services'."""

from django import forms

TARGETS = [("level", "One level up the hierarchy"), ("team", "A specialist team")]


class EscalateForm(forms.Form):
    target = forms.ChoiceField(choices=TARGETS, initial="level", widget=forms.RadioSelect)
    team = forms.CharField(max_length=100, required=False)
    reason = forms.CharField(max_length=2000, required=False)

    def clean(self):
        data = super().clean()
        if data.get("target") == "team" and not data.get("team", "").strip():
            self.add_error("team", "Name the specialist team.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)
