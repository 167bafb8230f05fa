"""The demo's default escalation policy and the hierarchy's notification groups."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from escalation.models import Action, Channel, EscalationPolicy, Level, Trigger

DEFAULT_POLICY = "Default incident escalation"
# Specialist teams a case can be escalated to by hand: groups that are not roles or levels
# (escalation.selectors.specialist_teams). Admins add their own.
DEMO_TEAMS = ("Hazmat", "Electrical", "Structural engineers")


@transaction.atomic
def install_default_policy() -> EscalationPolicy:
    """P1 logged → duty manager; 50 % / 75 % of the response target → supervisors; breach →
    one level up; a dispatch not acknowledged after 5 minutes → supervisors. Each needs
    acknowledgement within 5 minutes, repeats twice, then moves up. Also the demo's
    specialist teams."""
    groups = {
        level: Group.objects.get_or_create(name=level.label)[0]
        for level in (Level.SUPERVISOR, Level.DUTY_MANAGER, Level.HEAD_OF_OPERATIONS)
    }
    # The demo supervisor is also tonight's duty manager, so the demo's alerts reach someone.
    supervisor = get_user_model().objects.filter(username="supervisor").first()
    if supervisor is not None:
        supervisor.groups.add(groups[Level.DUTY_MANAGER])
    for team in DEMO_TEAMS:
        Group.objects.get_or_create(name=team)
    policy, created = EscalationPolicy.objects.get_or_create(name=DEFAULT_POLICY)
    if not created:
        return policy
    ack = {"requires_ack": True, "ack_timeout": timedelta(minutes=5), "max_repeats": 2}
    steps = [
        ("Priority 1 logged", Trigger.P1_LOGGED, {}, Action.NOTIFY, Level.DUTY_MANAGER),
        (
            "Half the response time gone",
            Trigger.RESPONSE_ELAPSED,
            {"percent": 50},
            Action.NOTIFY,
            Level.SUPERVISOR,
        ),
        (
            "Three quarters of the response time gone",
            Trigger.RESPONSE_ELAPSED,
            {"percent": 75},
            Action.NOTIFY,
            Level.SUPERVISOR,
        ),
        (
            "Response target breached",
            Trigger.RESPONSE_BREACHED,
            {},
            Action.RAISE_LEVEL,
            Level.SUPERVISOR,
        ),
        (
            "Dispatch not acknowledged after 5 minutes",
            Trigger.DISPATCH_UNACKNOWLEDGED,
            {"minutes": 5},
            Action.NOTIFY,
            Level.SUPERVISOR,
        ),
    ]
    for order, (name, trigger, amount, action, level) in enumerate(steps, 1):
        policy.steps.create(
            order=order,
            name=name,
            trigger=trigger,
            **amount,
            action=action,
            channel=Channel.EMAIL,
            notify_group=groups[level],
            **ack,
        )
    return policy
