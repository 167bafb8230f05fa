from django import forms

from privacy.selectors import Subject, phone_digits


class SubjectForm(forms.Form):
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(max_length=254, required=False)

    def clean(self):
        data = super().clean()
        if not phone_digits(data.get("phone", "")) and not data.get("email"):
            raise forms.ValidationError("Enter the person's phone number or email address.")
        return data

    def subject(self) -> Subject:
        return Subject(phone=self.cleaned_data["phone"], email=self.cleaned_data["email"])


class ExportForm(SubjectForm):
    format = forms.ChoiceField(choices=[("json", "JSON"), ("pdf", "PDF")], initial="pdf")


class EraseForm(SubjectForm):
    confirm = forms.BooleanField(
        label="I have checked who this is and that nothing requires keeping their details"
    )
