"""Migrate a database written by the previous version forward, then read it with this one.

Run as a script (tests/incidents/test_legacy_upgrade.py does) against a scratch database
named by DATABASE_URL: it migrates to the last migrations of the version before the apps
were split, loads tests/fixtures/legacy_v1.json through the historical models (so the rows
are exactly what that version wrote), migrates to the latest migrations, and prints a JSON
report: the row counts that must survive and every timeline event rendered.
"""

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings")
django.setup()

from django.apps import apps as current_apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

# The leaf migrations of commit be424d8.
PREVIOUS = [
    ("incidents", "0004_dispatch_escalation_event_kinds"),
    ("dispatch", "0002_roles"),
    ("escalation", "0003_roles"),
]
# Permissions and content types are made by migrate itself; sessions and admin log are not data.
SKIPPED_M2M = {("auth", "user"), ("auth", "group")}


def load(path: str) -> None:
    apps = MigrationExecutor(connection).loader.project_state(PREVIOUS).apps
    m2m_later = []
    rows = json.loads(Path(path).read_text())
    with transaction.atomic():
        for row in rows:
            app_label, model_name = row["model"].split(".")
            model = apps.get_model(app_label, model_name)
            values, many = {}, {}
            for name, value in row["fields"].items():
                field = model._meta.get_field(name)
                if field.many_to_many:
                    if (app_label, model_name) not in SKIPPED_M2M:
                        many[name] = value
                elif isinstance(field, models.ForeignKey):
                    if isinstance(value, list):  # a natural key: a user's or a group's name
                        related = field.related_model
                        key = "username" if related._meta.model_name == "user" else "name"
                        value = related.objects.get(**{key: value[0]}).pk
                    values[field.attname] = value
                else:
                    values[name] = value
            obj = model(pk=row["pk"], **values)
            obj.save()  # an update where the migrations made the row (roles, the matrix)
            m2m_later.extend((obj, name, ids) for name, ids in many.items())
        for obj, name, ids in m2m_later:
            getattr(obj, name).set(ids)
        # Rows came with their ids: move the id sequences past them, as the database that
        # wrote them had, so a later migration's new rows (a new role group) get fresh ids.
        loaded = {apps.get_model(*row["model"].split(".")) for row in rows}
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(statement)


def report() -> dict:
    from incidents import timeline

    events = current_apps.get_model("incidents", "IncidentEvent").objects.select_related("actor")
    counts = {
        label: current_apps.get_model(*label.split(".")).objects.count() for label in sys.argv[2:]
    }
    return {
        "counts": counts,
        "events": [
            {
                "id": e.pk,
                "kind": e.kind,
                "data": timeline.validate(e.kind, e.data),
                "text": timeline.render(e),
            }
            for e in events.order_by("pk")
        ],
    }


if __name__ == "__main__":
    MigrationExecutor(connection).migrate(PREVIOUS)
    load(sys.argv[1])
    call_command("migrate", verbosity=0)
    print(json.dumps(report()))
