"""The subject-access export as a PDF a person can read (fpdf2: pure Python).

The JSON export is the complete record; the PDF says the same in words. Text goes in as
it is: DejaVu Sans (Debian's fonts-dejavu-core) when the machine has it, so any script
prints; otherwise the PDF core font Helvetica, which holds Latin-1 only, and characters
outside it print as "?" (the JSON keeps them exactly).
"""

from pathlib import Path

from fpdf import FPDF

FONTS = Path("/usr/share/fonts/truetype/dejavu")
UNICODE_FONT, UNICODE_BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"


def _pdf() -> tuple[FPDF, str]:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    if UNICODE_FONT.exists() and UNICODE_BOLD.exists():
        pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
        pdf.add_font("DejaVu", style="B", fname=str(UNICODE_BOLD))
        return pdf, "DejaVu"
    return pdf, "Helvetica"


class _Writer:
    def __init__(self):
        self.pdf, self.font = _pdf()
        self.unicode = self.font != "Helvetica"
        self.pdf.add_page()

    def text(self, value) -> str:
        value = "" if value is None else str(value)
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, words: str, size: int = 14):
        self.pdf.set_font(self.font, "B", size)
        self.pdf.multi_cell(0, 8, self.text(words), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def line(self, label: str, value):
        if value in (None, "", []):
            return
        self.pdf.set_font(self.font, "", 10)
        self.pdf.multi_cell(0, 5, self.text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")

    def gap(self):
        self.pdf.ln(3)


def render(export: dict) -> bytes:
    w = _Writer()
    who = " / ".join(v for v in export["subject"].values() if v)
    w.heading(f"Personal data held about {who}", 16)
    w.line("Produced", export["generated_at"])
    w.line("Incidents", len(export["incidents"]))
    w.line("Messages", len(export["messages"]))
    for incident in export["incidents"]:
        w.gap()
        w.heading(f"{incident['reference']}: {incident['summary']}")
        for key in (
            "record_type",
            "contact_channel",
            "received_at",
            "caller_name",
            "caller_phone",
            "caller_email",
            "location",
            "category",
            "description",
            "priority",
            "status",
            "linked_to",
        ):
            w.line(key.replace("_", " ").capitalize(), incident[key])
        w.heading("Timeline", 11)
        for event in incident["events"]:
            w.line(f"{event['at']} ({event['by']})", event["text"])
            w.line("    Note", event["rationale"])
        for title, rows in (
            ("Updates given to you", incident["customer_updates"]),
            ("Resolution", incident["resolutions"]),
            ("Closure", incident["closures"]),
            ("Your satisfaction answers", incident["surveys"]),
            ("Survey links", incident["survey_links"]),
        ):
            if rows:
                w.heading(title, 11)
                for row in rows:
                    w.line(
                        "-", "; ".join(f"{k}: {v}" for k, v in row.items() if v not in (None, ""))
                    )
    if export["messages"]:
        w.gap()
        w.heading("Messages")
        for message in export["messages"]:
            w.line(
                f"{message['created_at']} {message['kind']} by {message['channel']}",
                f"to {message['to']} ({message['status']})",
            )
            w.line("    Subject", message["subject"])
            w.line("    Body", message["body"])
    return bytes(w.pdf.output())
