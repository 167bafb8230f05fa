"""Admin: reference data is edited here; incidents and their timeline are only looked at.

Every incident write goes through incidents/services.py, so the incident, event, key and
cell admins are read-only, and the matrix is saved as one grid through save_matrix.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from core.errors import Conflict, Invalid
from core.formatting import humane_duration
from incidents import selectors, services
from incidents.admin_forms import MatrixGridForm
from incidents.models import (
    Category,
    ImpactLevel,
    Incident,
    IncidentEvent,
    MatrixCell,
    Priority,
    PriorityMatrix,
    UrgencyLevel,
)


def colour_swatch(priority: Priority) -> str:
    return format_html(
        '<span style="display:inline-block;width:1em;height:1em;border-radius:2px;'
        'vertical-align:middle;background:{}"></span> {}',
        priority.colour,
        priority.code,
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
        return selectors.search(queryset, search_term), False

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
