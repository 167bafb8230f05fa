"""How the pages of every app tell a person why a service refused: one place."""

from django.contrib import messages

from core.errors import DomainError, Invalid


def flash(request, refusal: DomainError) -> None:
    """Each problem as its own message: a refusal names every missing field at once."""
    if isinstance(refusal, Invalid):
        for problems in refusal.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.error(request, str(refusal))


def add_to_form(form, refusal: Invalid) -> None:
    """Each problem beside its field (or at the top when the form has no such field)."""
    for field, problems in refusal.errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
