"""The three roles and their permissions. Migration 0002 installs them; tests reinstall them
after a transactional flush has emptied the tables."""

AGENT = [
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.view_incident",
    "incidents.view_incidentevent",
    "incidents.view_category",
    "incidents.view_impactlevel",
    "incidents.view_urgencylevel",
    "incidents.view_priority",
    "incidents.view_prioritymatrix",
    "incidents.view_matrixcell",
    "escalation.view_slatimer",
]
SUPERVISOR = [*AGENT, "incidents.reprioritise_incident", "incidents.view_board"]

# --- Escalation (issue 5): migration escalation/0003_roles installs these ---
ESCALATION_AGENT = [
    "escalation.view_escalationevent",
    "escalation.view_escalation",
    "escalation.escalate_incident",
]
ESCALATION_SUPERVISOR = [
    "escalation.acknowledge_escalation",
    "escalation.reapply_policy",
    "escalation.acknowledge_incident",
    "escalation.view_escalationpolicy",
    "escalation.view_escalationstep",
]
AGENT += ESCALATION_AGENT
SUPERVISOR += [*ESCALATION_AGENT, *ESCALATION_SUPERVISOR]
# --- end escalation ---
# The Admin group may do everything in these apps.
ADMIN_APPS = ["incidents", "escalation", "dispatch", "auth", "authtoken"]


def install_roles(*, group_model, permission_model) -> None:
    """Create or update the groups; the permissions must exist already."""

    def named(names):
        # A permission whose model a later migration creates is skipped here: that app's
        # own roles migration runs after its models and installs the groups again.
        found = [
            permission_model.objects.filter(
                content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
            ).first()
            for name in names
        ]
        return [permission for permission in found if permission is not None]

    group_model.objects.get_or_create(name="Agent")[0].permissions.set(named(AGENT))
    group_model.objects.get_or_create(name="Supervisor")[0].permissions.set(named(SUPERVISOR))
    group_model.objects.get_or_create(name="Admin")[0].permissions.set(
        permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
