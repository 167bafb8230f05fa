"""A caller with everything the system can hold about them, made through the services."""

from dataclasses import dataclass

from customer_care import services as care
from incidents import services
from incidents.models import Incident
from tests.factories import agent, close, deploy, log, resolve


@dataclass(frozen=True)
class Caller:
    name: str
    phone: str
    email: str

    @property
    def values(self) -> list[str]:
        return [self.name, self.phone, self.email]


RUTH = Caller("Ruth Okafor", "07700 900123", "ruth.okafor@example.org")
OMAR = Caller("Omar Haddad", "07700 900456", "omar.h@example.net")


def full_history(
    caller: Caller, *, actor=None, old_phone: str = "", closed: bool = True, **details
) -> Incident:
    """Log, edit the caller's phone, update them by email, dispatch, resolve (a survey link
    goes out), record their satisfaction in their words, close with their confirmation."""
    actor = actor or agent()
    incident = log(
        actor=actor,
        caller_name=caller.name,
        caller_phone=old_phone or caller.phone,
        caller_email=caller.email,
        description=f"{caller.name} says the ceiling is bulging; call {caller.phone} back.",
        **details,
    )
    if old_phone:
        incident.refresh_from_db()
        services.update_incident(
            incident_id=incident.pk,
            actor=actor,
            expected_version=incident.version,
            changes={"caller_phone": caller.phone},
            rationale=f"{caller.name} gave a new number",
        )
    care.give_customer_update(
        incident_id=incident.pk,
        actor=actor,
        channel="email",
        message=f"Dear {caller.name}, an engineer is on the way.",
        send=True,
    )
    deploy(incident, call_sign=f"FAC-{incident.pk}")
    resolve(incident, actor=actor, notes=f"Fixed; told {caller.name} on {caller.phone}.")
    care.record_satisfaction(
        incident_id=incident.pk, actor=actor, score=4, comment=f"Quick, thanks - {caller.name}"
    )
    if closed:
        close(incident, actor=actor, confirmed_by=caller.name)
    incident.refresh_from_db()
    return incident
