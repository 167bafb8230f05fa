"""Checks on free text from people."""

import re

# C0 controls and DEL, but not tab, line feed or carriage return (pasted multi-line text).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """NUL in particular: PostgreSQL refuses it in any text, so it would fail the query."""
    return bool(CONTROL_CHARACTERS.search(text))
