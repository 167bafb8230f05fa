"""Admin: reference data is edited here; incidents and their timeline are only looked at.

Every incident write goes through incidents/services.py, so the incident, event, key and
cell admins are read-only, and the matrix is saved as one grid through save_matrix.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from knox.admin import AuthTokenAdmin as KnoxTokenAdmin
from knox.models import AuthToken
from rest_framework.authtoken.models import TokenProxy

from core.admin import ReadOnlyAdmin
from core.errors import Conflict, Invalid
from core.formatting import humane_duration
from incidents import contact, selectors, services
from incidents.admin_forms import MatrixGridForm
from incidents.models import (
    Category,
    ContactVia,
    ContactView,
    ImpactLevel,
    Incident,
    IncidentEvent,
    MatrixCell,
    Priority,
    PriorityMatrix,
    UrgencyLevel,
)


def colour_swatch(priority: Priority) -> str:
    # Classes, not a style attribute: the CSP allows no inline style (static/css/admin.css,
    # and the colours from incidents.views.priority_colours).
    return format_html(
        '<span class="matrix-swatch priority-{}"></span> {}', priority.pk, priority.code
    )


@admin.register(ImpactLevel, UrgencyLevel)
class LevelAdmin(admin.ModelAdmin):
    list_display = ("rank", "name", "criteria")
    list_display_links = ("rank", "name")
    search_fields = ("name", "criteria")
    ordering = ("rank",)


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ("code", "rank", "name", "swatch", "response", "resolution", "update_every")
    list_display_links = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("rank",)

    @admin.display(description="colour", ordering="colour")
    def swatch(self, priority):
        return colour_swatch(priority)

    @admin.display(description="response target", ordering="response_target")
    def response(self, priority):
        return humane_duration(priority.response_target)

    @admin.display(description="resolution target", ordering="resolution_target")
    def resolution(self, priority):
        return humane_duration(priority.resolution_target)

    @admin.display(description="customer update every", ordering="update_interval")
    def update_every(self, priority):
        return humane_duration(priority.update_interval)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "default_impact")
    list_filter = ("active", "default_impact")
    search_fields = ("name", "slug", "quick_reference")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("name",)
    fieldsets = [
        (None, {"fields": ("name", "slug", "active", "default_impact")}),
        ("Guidance for agents", {"fields": ("questions", "checklist", "quick_reference")}),
    ]


@admin.register(PriorityMatrix)
class PriorityMatrixAdmin(admin.ModelAdmin):
    """One matrix (made by migration 0002), edited as a whole grid through save_matrix."""

    list_display = ("name", "version", "updated_at", "updated_by")
    list_select_related = ("updated_by",)
    grid_template = "admin/incidents/prioritymatrix/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        matrix = self.get_object(request, unquote(object_id))
        if matrix is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, matrix):
            raise PermissionDenied
        grid = selectors.matrix_grid()
        form = MatrixGridForm(request.POST or None, grid=grid)
        if request.method == "POST" and form.is_valid():
            changes = form.changes()
            try:
                saved = services.save_matrix(
                    cells=form.cells(),
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except Conflict as conflict:
                form.add_error(None, str(conflict))
            except Invalid as refused:
                for problems in refused.errors.values():
                    for problem in problems:
                        form.add_error(None, problem)
            else:
                self.log_change(request, saved, "; ".join(changes) or "Saved with no changes.")
                self.message_user(
                    request, f"Saved the matrix as version {saved.version}.", messages.SUCCESS
                )
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Change the priority matrix",
            "subtitle": str(matrix),
            "original": matrix,
            "matrix": grid["matrix"],
            "urgencies": grid["urgencies"],
            "priorities": grid["priorities"],
            "form": form,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.grid_template, context)


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "summary",
        "priority_swatch",
        "status",
        "category",
        "created_at",
        "created_by",
        "agent_page",
    )
    list_display_links = ("reference", "summary")
    list_filter = ("status", "priority", "category", "record_type", "contact_channel")
    list_select_related = ("priority", "category", "created_by")
    # The search box itself goes through selectors.search (reference, caller, location…).
    search_fields = ("caller_name", "location", "summary")
    search_help_text = "Reference (INC-000123), caller name/phone/email, location or summary."
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def get_search_results(self, request, queryset, search_term):
        scope = contact.visible_condition(request.user)
        return selectors.search(queryset, search_term, caller_scope=scope), False

    def get_exclude(self, request, obj=None):
        """The caller's details only for who may see them (incidents/contact.py)."""
        if obj is not None and not contact.may_view(request.user, obj):
            return contact.FIELDS
        return super().get_exclude(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        incident = self.get_object(request, unquote(object_id))
        if incident is not None and contact.may_view(request.user, incident):
            contact.log_views(
                user=request.user, incidents=[incident], via=ContactVia.PAGE, path=request.path
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def view_on_site(self, incident):
        return f"/incidents/{incident.pk}/"

    @admin.display(description="reference", ordering="pk")
    def reference(self, incident):
        return incident.reference

    @admin.display(description="priority", ordering="priority__rank")
    def priority_swatch(self, incident):
        return colour_swatch(incident.priority)

    @admin.display(description="agent page")
    def agent_page(self, incident):
        return format_html('<a href="{}">Open</a>', self.view_on_site(incident))


@admin.register(ContactView)
class ContactViewAdmin(ReadOnlyAdmin):
    """Who saw which caller's details (the data protection officer reads it)."""

    list_display = ("at", "user", "incident_reference", "fields", "via", "path")
    list_filter = ("via",)
    list_select_related = ("user", "incident")
    search_fields = ("user__username",)
    date_hierarchy = "at"
    ordering = ("-at", "-id")

    @admin.display(description="incident", ordering="incident_id")
    def incident_reference(self, view):
        return view.incident.reference


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    """The timeline is append-only."""

    list_display = ("id", "incident_reference", "kind", "actor", "at")
    list_filter = ("kind",)
    list_select_related = ("incident", "actor")
    search_fields = ("rationale",)
    date_hierarchy = "at"
    ordering = ("-id",)

    @admin.display(description="incident", ordering="incident_id")
    def incident_reference(self, event):
        return event.incident.reference

    def get_exclude(self, request, obj=None):
        """Data and free text can hold the caller's details (incidents/contact.py)."""
        if obj is not None and not contact.may_view(request.user, obj.incident):
            return ("data", "rationale")
        return super().get_exclude(request, obj)


@admin.register(MatrixCell)
class MatrixCellAdmin(ReadOnlyAdmin):
    """Cells are saved only as a whole grid, on the priority matrix page."""

    list_display = ("impact", "urgency", "priority_swatch", "matrix")
    list_filter = ("impact", "urgency", "priority")
    list_select_related = ("impact", "urgency", "priority", "matrix")
    ordering = ("impact__rank", "urgency__rank")

    @admin.display(description="priority", ordering="priority__rank")
    def priority_swatch(self, cell):
        return colour_swatch(cell.priority)


# ---- Users and API tokens: least privilege (docs/security.md) ------------------------------


def _holds_all(user, permissions) -> bool:
    """Whether `user` already holds every permission (Permission rows) named."""
    held = user.get_all_permissions()
    return all(f"{p.content_type.app_label}.{p.codename}" in held for p in permissions)


def _grantable_groups(user):
    """The groups a user may hand out: those whose permissions they hold themselves."""
    groups = Group.objects.prefetch_related("permissions__content_type")
    if user.is_superuser:
        return groups
    return [g for g in groups if _holds_all(user, g.permissions.all())]


class LeastPrivilegeUserAdmin(UserAdmin):
    """An admin who is not a superuser manages accounts without being able to raise anyone
    (themselves included) above what they hold: no superuser flag, no single permissions,
    only the groups whose permissions they hold, and no changing (password included) or
    deleting an account that holds more than they do."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "user_permissions"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(
                pk__in=[g.pk for g in _grantable_groups(request.user)]
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _outranks(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return False
        if obj.is_superuser:
            return True
        permissions = Permission.objects.filter(Q(user=obj) | Q(group__user=obj)).select_related(
            "content_type"
        )
        return not _holds_all(request.user, permissions)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._outranks(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._outranks(request, obj)


admin.site.unregister(User)
admin.site.register(User, LeastPrivilegeUserAdmin)


class ApiTokenAdmin(KnoxTokenAdmin):
    """Tokens are stored as digests (django-rest-knox); the list shows whose token it is and
    when it expires, never the digest or its first characters. Revoke = delete. Making one
    (shown once, on the page after saving) is for superusers: a token lets its holder act
    as the user."""

    list_display = ("user", "created", "expiry")
    search_fields = ("user__username",)
    list_filter = ("expiry",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(AuthToken)
admin.site.register(AuthToken, ApiTokenAdmin)
# DRF's own tokens (keys in clear) are no longer used: no page for them.
admin.site.unregister(TokenProxy)
