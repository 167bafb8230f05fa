"""Demo customer care: one sample incident with an update given, one resolved and waiting
for the customer's confirmation, so the care screens are not empty on first look."""

from customer_care import services as care
from incidents.models import Incident


def install_care_samples(*, actor) -> None:
    updated, resolved = Incident.objects.order_by("pk")[:2]
    care.give_customer_update(
        incident_id=updated.pk,
        actor=actor,
        channel="phone",
        message="Rang back: an engineer is on the way and will call on arrival.",
    )
    care.resolve(
        incident_id=resolved.pk,
        actor=actor,
        code="fixed",
        notes="Engineer attended and fixed the fault; caller told it is resolved.",
    )
