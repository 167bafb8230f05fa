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

# ---- Dispatch (issue 4) ----------------------------------------------------------------------
# Agents see resources, dispatches and messages (to tell a caller help is on its way);
# supervisors dispatch, record progress, override with a reason and broadcast.
DISPATCH_VIEW = [
    "dispatch.view_resource",
    "dispatch.view_resourcegroup",
    "dispatch.view_channelrule",
    "dispatch.view_dispatch",
    "dispatch.view_broadcast",
    "dispatch.view_message",
]
DISPATCH_SUPERVISOR = [
    "dispatch.add_dispatch",
    "dispatch.change_dispatch",
    "dispatch.override_dispatch",
    "dispatch.send_broadcast",
]
AGENT = [*AGENT, *DISPATCH_VIEW]
SUPERVISOR = [*SUPERVISOR, *DISPATCH_VIEW, *DISPATCH_SUPERVISOR]
# ---- end Dispatch ----------------------------------------------------------------------------
# The Admin group may do everything in these apps.
ADMIN_APPS = ["incidents", "escalation", "dispatch", "auth", "authtoken"]


def install_roles(*, group_model, permission_model) -> None:
    """Create or update the groups; the permissions must exist already."""

    def named(names):
        return [
            permission_model.objects.get(
                content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
            )
            for name in names
        ]

    group_model.objects.get_or_create(name="Agent")[0].permissions.set(named(AGENT))
    group_model.objects.get_or_create(name="Supervisor")[0].permissions.set(named(SUPERVISOR))
    group_model.objects.get_or_create(name="Admin")[0].permissions.set(
        permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
