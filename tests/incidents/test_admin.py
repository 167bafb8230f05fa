from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from core.formatting import humane_duration
from incidents.admin_forms import cell_field_name
from incidents.models import (
    ImpactLevel,
    Incident,
    IncidentEvent,
    MatrixCell,
    Priority,
    PriorityMatrix,
    UrgencyLevel,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, reference_data):
    client.force_login(factories.admin_user())
    return client


@pytest.fixture
def matrix():
    return PriorityMatrix.objects.get()


def matrix_url(matrix):
    return reverse("admin:incidents_prioritymatrix_change", args=[matrix.pk])


def grid_post(matrix, **overrides) -> dict:
    """The grid as it stands, with some cells changed: {"High × Medium": "P2"}."""
    data = {"version": matrix.version}
    codes = {p.code: p.pk for p in Priority.objects.all()}
    current = {(c.impact_id, c.urgency_id): c.priority_id for c in matrix.cells.all()}
    for impact in ImpactLevel.objects.all():
        for urgency in UrgencyLevel.objects.all():
            label = f"{impact.name} × {urgency.name}"
            value = (
                codes[overrides[label]]
                if label in overrides
                else current.get((impact.pk, urgency.pk), "")
            )
            data[cell_field_name(impact, urgency)] = value
    return data


def cell_code(matrix, impact_name, urgency_name) -> str:
    return MatrixCell.objects.get(
        matrix=matrix, impact__name=impact_name, urgency__name=urgency_name
    ).priority.code


def test_every_changelist_and_change_page_loads_for_an_admin(admin_client):
    # given: at least one row of every incident model
    factories.log()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        # when
        changelist = admin_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        )
        # then
        assert changelist.status_code == 200, opts.label
        obj = model_admin.get_queryset(changelist.wsgi_request).first()
        if obj is not None:
            change = admin_client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
            assert change.status_code == 200, opts.label


def test_incident_search_finds_a_reference(admin_client):
    incident = factories.log()
    factories.log(summary="Lift stuck between floors", caller_name="Someone Else")

    response = admin_client.get(
        reverse("admin:incidents_incident_changelist"), {"q": incident.reference}
    )

    assert list(response.context["cl"].result_list) == [incident]


def test_grid_page_shows_every_cell_and_the_version(admin_client, matrix):
    response = admin_client.get(matrix_url(matrix))

    assert response.status_code == 200
    form = response.context["form"]
    assert len([name for name in form.fields if name.startswith("cell_")]) == 9
    assert f'<strong id="matrix-version">{matrix.version}</strong>' in response.text


def test_saving_a_complete_grid_bumps_the_version(admin_client, matrix):
    old_version = matrix.version
    incident = factories.log()

    response = admin_client.post(matrix_url(matrix), grid_post(matrix, **{"High × Medium": "P1"}))

    assert response.status_code == 302
    matrix.refresh_from_db()
    assert matrix.version == old_version + 1
    assert cell_code(matrix, "High", "Medium") == "P1"
    incident.refresh_from_db()
    assert incident.matrix_version == old_version


def test_an_incomplete_grid_is_refused_and_nothing_changes(admin_client, matrix):
    old_version = matrix.version
    data = grid_post(matrix, **{"High × Medium": "P1"})
    data[
        cell_field_name(ImpactLevel.objects.get(name="Low"), UrgencyLevel.objects.get(name="Low"))
    ] = ""

    response = admin_client.post(matrix_url(matrix), data)

    assert response.status_code == 200
    assert "The grid is incomplete" in response.text
    assert "Low × Low" in response.text
    matrix.refresh_from_db()
    assert matrix.version == old_version
    assert cell_code(matrix, "High", "Medium") == "P2"


def test_a_new_level_is_refused_until_its_cells_are_filled(admin_client, matrix):
    # given: an admin added an impact level, so the grid has an empty row
    ImpactLevel.objects.create(rank=4, name="Negligible")
    old_version = matrix.version

    page = admin_client.get(matrix_url(matrix))
    refused = admin_client.post(matrix_url(matrix), grid_post(matrix))
    filled = admin_client.post(
        matrix_url(matrix),
        grid_post(matrix, **{f"Negligible × {u}": "P5" for u in ("High", "Medium", "Low")}),
    )

    assert "Negligible" in page.text
    assert (
        "Choose one for: Negligible × High, Negligible × Medium, Negligible × Low" in refused.text
    )
    assert filled.status_code == 302
    matrix.refresh_from_db()
    assert matrix.version == old_version + 1
    assert cell_code(matrix, "Negligible", "Low") == "P5"


def test_a_save_over_a_newer_version_is_refused(admin_client, matrix):
    data = grid_post(matrix, **{"High × Medium": "P1"})
    data["version"] = matrix.version - 1

    response = admin_client.post(matrix_url(matrix), data)

    assert response.status_code == 200
    assert "The priority matrix was changed by someone else" in response.text
    assert cell_code(matrix, "High", "Medium") == "P2"


def test_saving_the_grid_logs_the_changed_cells(admin_client, matrix):
    admin_client.post(
        matrix_url(matrix), grid_post(matrix, **{"High × Medium": "P1", "Low × Low": "P4"})
    )

    entry = LogEntry.objects.get(object_id=str(matrix.pk), action_flag=CHANGE)
    assert entry.change_message == "High × Medium: P2 → P1; Low × Low: P5 → P4"


def test_an_agent_is_sent_to_the_admin_login(client, reference_data, matrix):
    client.force_login(factories.agent())

    response = client.get(matrix_url(matrix))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_staff_supervisor_cannot_open_the_matrix_grid(client, reference_data, matrix):
    client.force_login(factories.supervisor(is_staff=True))

    assert client.get(matrix_url(matrix)).status_code == 403
    assert client.post(matrix_url(matrix), grid_post(matrix)).status_code == 403


def test_incident_admin_cannot_add_change_or_delete(admin_client):
    incident = factories.log()
    incident_admin = admin.site._registry[Incident]
    request = admin_client.get("/admin/").wsgi_request

    page = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))

    assert not incident_admin.has_add_permission(request)
    assert not incident_admin.has_change_permission(request, incident)
    assert not incident_admin.has_delete_permission(request, incident)
    assert page.context["adminform"].form.fields == {}  # every field is shown read-only
    assert 'name="_save"' not in page.text
    assert admin_client.get(reverse("admin:incidents_incident_add")).status_code == 403
    delete_url = reverse("admin:incidents_incident_delete", args=[incident.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403


def test_incident_admin_links_to_the_agent_page(admin_client):
    incident = factories.log()

    response = admin_client.get(reverse("admin:incidents_incident_changelist"))

    assert f'href="/incidents/{incident.pk}/"' in response.text


def test_event_admin_is_read_only(admin_client):
    event = factories.log().events.first()
    event_admin = admin.site._registry[IncidentEvent]
    url = reverse("admin:incidents_incidentevent_change", args=[event.pk])

    response = admin_client.post(url, {"rationale": "rewritten"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.rationale != "rewritten"
    request = response.wsgi_request
    assert not event_admin.has_add_permission(request)
    assert not event_admin.has_delete_permission(request, event)


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(15, "15 min"), (240, "4 h"), (90, "1 h 30 min"), (3 * 24 * 60, "3 d")],
)
def test_targets_are_shown_humanely(minutes, shown):
    assert humane_duration(timedelta(minutes=minutes)) == shown
