"""Phone numbers as the system keeps them: E.164 (+447700900123), parsed with the
`phonenumbers` library; a number written without +country is read in PHONE_DEFAULT_REGION."""

import phonenumbers
from django.conf import settings

INVALID = "Enter a valid phone number (e.g. 07700 900123, or +44 7700 900123 from abroad)."


class PhoneInvalid(ValueError):
    pass


def normalise(text: str) -> str:
    """The E.164 form of a phone number, or PhoneInvalid (with a message for a person).
    Blank stays blank: whether a number is required is for the caller of this to say."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise PhoneInvalid(INVALID) from None
    # "Possible" (right length and shape for its country), not "valid" (in a range the
    # metadata knows is allocated): a number in a newly opened range must never be refused
    # while a caller is on the line, and Ofcom's drama range (07700 900xxx) stays usable for
    # demos and training.
    # A number that is only possible as a local call (no area code) is refused too.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise PhoneInvalid(INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def written_forms(value: str) -> list[str]:
    """The ways a stored number is written by people (E.164, international, national, with
    and without spaces), so a copy typed into free text is found whatever its form. Text
    that is not a phone number is itself only."""
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return [value]
    if not phonenumbers.is_possible_number(number):
        return [value]
    Format = phonenumbers.PhoneNumberFormat
    forms = {value}
    for style in (Format.E164, Format.INTERNATIONAL, Format.NATIONAL):
        written = phonenumbers.format_number(number, style)
        forms.update({written, written.replace(" ", "")})
    return sorted(forms)
