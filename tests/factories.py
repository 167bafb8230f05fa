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
