import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from incidents import roles, services
from incidents.models import Category, ImpactLevel, UrgencyLevel


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-for-tests")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            if not Group.objects.filter(name=extracted).exists():
                # A transactional test's flush emptied the groups migration 0002 made.
                roles.install_roles(group_model=Group, permission_model=Permission)
            user.groups.add(Group.objects.get(name=extracted))


def agent(**kwargs):
    return UserFactory(role="Agent", **kwargs)


def supervisor(**kwargs):
    return UserFactory(role="Supervisor", **kwargs)


def admin_user(**kwargs):
    return UserFactory(role="Admin", is_staff=True, **kwargs)


def call_details(**overrides) -> dict:
    """What an agent types for a typical call; the demo reference data must be installed."""
    details = {
        "contact_channel": "phone",
        "caller_name": "Ruth Okafor",
        "caller_phone": "07700 900123",
        "location": "Block B, 2nd floor kitchen",
        "category": Category.objects.get(slug="water-leak"),
        "summary": "Water pouring through the ceiling",
        "impact": ImpactLevel.objects.get(rank=2),
        "urgency": UrgencyLevel.objects.get(rank=1),
    }
    details.update(overrides)
    return details


def log(actor=None, **overrides):
    """Log an incident through the one write path."""
    return services.log_incident(actor=actor or agent(), **call_details(**overrides)).incident


# ---- Customer care --------------------------------------------------------------------------


def resolve(incident, actor=None, **overrides):
    """Resolve through the care service, with typical notes."""
    from customer_care import services as care

    values = {"code": "fixed", "notes": "Stopcock closed and the pipe joint replaced."}
    values.update(overrides)
    return care.resolve(incident_id=incident.pk, actor=actor or agent(), **values)


def close(incident, actor=None, **overrides):
    """Close with the caller's confirmation by phone."""
    from customer_care import services as care

    values = {"method": "phone", "confirmed_by": "Ruth Okafor"}
    values.update(overrides)
    return care.close(incident_id=incident.pk, actor=actor or agent(), **values)


# ---- Dispatch (issue 4) ----------------------------------------------------------------------


def resource(
    call_sign: str,
    *,
    skills=("water-leak",),
    verified: bool = True,
    position=None,
    status: str = "available",
    contacts=None,
    groups=(),
    **fields,
):
    """A resource skilled for the given category slugs, verified for a day unless told."""
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import ContactEndpoint, Resource, ResourceGroup

    now = timezone.now()
    made = Resource.objects.create(
        call_sign=call_sign,
        name=fields.pop("name", f"Resource {call_sign}"),
        kind=fields.pop("kind", "person"),
        status=status,
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
        verified_at=now if verified else None,
        verified_until=now + timedelta(days=1) if verified else None,
        **fields,
    )
    made.skills.set(Category.objects.filter(slug__in=skills))
    made.groups.set([ResourceGroup.objects.get_or_create(name=name)[0] for name in groups])
    for channel, address in (contacts or {"radio": call_sign, "phone": "07700 900999"}).items():
        secret = "s" * 32 if channel == "webhook" else ""
        ContactEndpoint.objects.create(
            resource=made, channel=channel, address=address, secret=secret
        )
    return made


def send(incident, res, *, actor=None, channel="radio", **kwargs):
    """Dispatch through the one write path, as a supervisor unless told."""
    from dispatch import services as dispatch_services

    return dispatch_services.dispatch_resource(
        incident_id=incident.pk,
        resource_id=res.pk,
        channel=channel,
        briefing=kwargs.pop("briefing", "Go to the kitchen, water near the fuse board."),
        actor=actor or supervisor(),
        **kwargs,
    )


def acknowledge(dispatch, actor=None):
    """The resource answered its briefing (recorded by the dispatcher): a real response."""
    from dispatch import services as dispatch_services

    return dispatch_services.progress_dispatch(
        dispatch_id=dispatch.pk, step="acknowledged", actor=actor or supervisor()
    )


def deploy(incident, call_sign: str = "FAC-1", **kwargs):
    """Send a resource and have it acknowledge: the incident is dispatched, response met."""
    dispatch = send(incident, resource(call_sign), **kwargs)
    acknowledge(dispatch)
    return dispatch


def on_dispatch(incident, call_sign: str = "FAC-9"):
    """A resource already on an active dispatch to the incident, as a row and nothing else
    (no status change, no timeline): what a status-change test needs to be allowed to move
    it to Dispatched or In progress without the dispatch's own events."""
    from django.utils import timezone

    from dispatch.models import Dispatch

    return Dispatch.objects.create(
        incident=incident,
        resource=resource(call_sign, status="dispatched"),
        channel="radio",
        briefing="Already on the way.",
        dispatched_by=supervisor(),
        dispatched_at=timezone.now(),
    )


def minor(**overrides):
    """A priority-3 incident (impact 2 × urgency 2): within an agent's authority to cancel."""
    return log(urgency=UrgencyLevel.objects.get(rank=2), **overrides)


# --- Escalation (issue 5) ---


def escalation_policy(*steps: dict, name: str = "Test policy", priorities=(), categories=()):
    """An active policy with these steps (EscalationStep fields; order follows the arguments)."""
    from escalation.models import EscalationPolicy

    policy = EscalationPolicy.objects.create(name=name)
    policy.priorities.set(priorities)
    policy.categories.set(categories)
    for order, fields in enumerate(steps, 1):
        policy.steps.create(order=order, **{"name": f"Step {order}", **fields})
    return policy
