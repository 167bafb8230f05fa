"""The roles and their permissions (docs/security.md says what each may do). Each app's
roles migration installs them (through install_in_migration); tests reinstall them after a
transactional flush has emptied the tables."""

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
    # Personal data (incidents/contact.py): the caller's details of open incidents and of
    # those the agent logged or acted on.
    "incidents.view_caller_contact",
]
INCIDENT_SUPERVISOR = [
    "incidents.view_all_caller_contact",
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
# A wall board's login: the board and nothing else (no caller contact details, no actions).
KIOSK_GROUP = "Kiosk"
KIOSK = ["incidents.view_board"]
# UK GDPR: reads who saw caller details, answers subject-access requests, erases on request.
# Reads incidents to find a caller's; changes none of them except through the erasure.
DATA_PROTECTION_OFFICER = [
    "incidents.view_incident",
    "incidents.view_incidentevent",
    "incidents.view_all_caller_contact",
    "incidents.view_contactview",
    "incidents.export_personal_data",
    "incidents.erase_personal_data",
]
DPO_GROUP = "Data protection officer"
# The Admin group may do everything in these apps (the reference data and the records)…
ADMIN_APPS = [
    "core",
    "incidents",
    "customer_care",
    "messaging",
    "escalation",
    "dispatch",
]
# …and manage users, without being a superuser: it cannot edit groups (their permissions),
# grant what it does not hold itself (incidents/admin.py UserAdmin), make API tokens (that
# would let it act as someone else) or read them; it revokes tokens and unlocks logins.
ADMIN_EXTRA = [
    "auth.add_user",
    "auth.change_user",
    "auth.delete_user",
    "auth.view_user",
    "auth.view_group",
    "knox.view_authtoken",
    "knox.delete_authtoken",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accessfailurelog",
    "axes.view_accesslog",
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
        [
            *permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS),
            *named(ADMIN_EXTRA),
        ]
    )
    # After the first three, which databases made by earlier versions have as ids 1–3.
    group_model.objects.get_or_create(name=KIOSK_GROUP)[0].permissions.set(named(KIOSK))
    # Last, so the groups older databases have keep their ids.
    group_model.objects.get_or_create(name=DPO_GROUP)[0].permissions.set(
        named(DATA_PROTECTION_OFFICER)
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
