"""The three roles and their permissions. Each app's roles migration installs them (through
install_in_migration); tests reinstall them after a transactional flush has emptied the tables."""

from django.contrib.auth.management import create_permissions

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
    "incidents.view_slatimer",
]
INCIDENT_SUPERVISOR = [
    "incidents.reprioritise_incident",
    "incidents.view_board",
    "incidents.cancel_major_incident",
]
# Agents see resources, dispatches and messages (to tell a caller help is on its way);
# supervisors dispatch, record progress, override with a reason and broadcast.
DISPATCH_AGENT = [
    "dispatch.view_resource",
    "dispatch.view_resourcegroup",
    "dispatch.view_channelrule",
    "dispatch.view_dispatch",
    "dispatch.view_broadcast",
    "messaging.view_message",
    "messaging.view_deliveryattempt",
]
DISPATCH_SUPERVISOR = [
    "dispatch.add_dispatch",
    "dispatch.change_dispatch",
    "dispatch.override_dispatch",
    "dispatch.send_broadcast",
]
# Agents escalate by hand; supervisors acknowledge, re-apply policies, acknowledge incidents.
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
AGENT = [*AGENT, *DISPATCH_AGENT, *ESCALATION_AGENT]
SUPERVISOR = [*AGENT, *INCIDENT_SUPERVISOR, *DISPATCH_SUPERVISOR, *ESCALATION_SUPERVISOR]
# The Admin group may do everything in these apps.
ADMIN_APPS = [
    "core",
    "incidents",
    "customer_care",
    "messaging",
    "escalation",
    "dispatch",
    "auth",
    "authtoken",
]


def install_roles(*, group_model, permission_model, strict: bool = True) -> None:
    """Create or update the groups. Strict: every named permission must exist already;
    otherwise the ones whose app has not migrated yet are left for its own roles migration."""

    def named(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None and strict:
                raise permission_model.DoesNotExist(f"No permission {name}")
            if permission is not None:
                found.append(permission)
        return found

    group_model.objects.get_or_create(name="Agent")[0].permissions.set(named(AGENT))
    group_model.objects.get_or_create(name="Supervisor")[0].permissions.set(named(SUPERVISOR))
    group_model.objects.get_or_create(name="Admin")[0].permissions.set(
        permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )


def install_in_migration(apps, schema_editor) -> None:
    """The body of every app's roles migration. Permissions are normally created after
    migrate, but the groups need them now; apps migrate in any order, so a permission of an
    app that has not migrated yet is given by that app's own roles migration."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    install_roles(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
        strict=False,
    )
