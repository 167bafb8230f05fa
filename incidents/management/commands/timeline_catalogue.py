"""Print the timeline's event catalogue as Markdown (the source of docs/timeline-catalogue.md)."""

from django.core.management.base import BaseCommand

from incidents import timeline

HEADER = """\
# Timeline event catalogue

Generated from `incidents/timeline.py` by `python manage.py timeline_catalogue`; do not edit
by hand (a test checks this file matches).

Every event's `data` holds ids, codes, enum values and UTC times, never sentences or local
times; `incidents.timeline.render` turns an event into words. Types: `int`, `str`, `bool`,
`datetime` (ISO-8601 with offset, stored in UTC), `list[…]`, `changes` (`{field: [before,
after]}`). A `?` marks an optional field (null when absent). A name in brackets is the label
registry entry that reads the code (`register_labels`, called by the owning app's ready()).
**caller** marks a field that holds the caller's contact details (a name or an address):
hidden from users who may not see them and rewritten when a caller is erased, as are the
`caller_name`, `caller_phone` and `caller_email` keys of a `changes` field.

Caused by: **person** — a signed-in user (the actor); **system** — a worker, the escalation
sweep or a beat task (no actor); **via_link** — someone outside through a signed link (no
actor); **any** — a person, or the system or a link acting in the same way.
"""


def markdown() -> str:
    lines = [HEADER, "| Kind | Label | Caused by | Fields |", "|---|---|---|---|"]
    for entry in timeline.catalogue():
        fields = "<br>".join(_field(field) for field in entry["fields"]) or "—"
        lines.append(f"| `{entry['kind']}` | {entry['label']} | {entry['caused_by']} | {fields} |")
    return "\n".join(lines) + "\n"


def _field(field: dict) -> str:
    text = f"`{field['name']}`: {field['type']}{'?' if field['optional'] else ''}"
    text += f" [{field['labels']}]" if field["labels"] else ""
    return text + (" **caller**" if field["caller"] else "")


class Command(BaseCommand):
    help = "Print the timeline event catalogue (kinds, fields, who causes them) as Markdown."

    def handle(self, *args, **options):
        self.stdout.write(markdown(), ending="")
