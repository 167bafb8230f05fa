"""Header-safe rendering: user text that lands in a header is folded to one safe line.

An email Subject (and any header a gateway builds from our subject) must be one line:
Django refuses a header with a newline in it (BadHeaderError), which once made a summary
typed with a line break stop every emailed briefing for its incident.
"""

import re
import unicodedata

# Runs of white space (line breaks of every kind included) become one space.
_BREAKS = re.compile(r"[\s\u0085\u2028\u2029]+")


def header_line(text: str, *, max_length: int = 200) -> str:
    """`text` as one line fit for a header: no line breaks or control characters, runs of
    white space collapsed, trimmed, at most `max_length` characters (an ellipsis if cut)."""
    printable = "".join(_printable(ch) for ch in str(text))
    line = _BREAKS.sub(" ", printable).strip()
    if len(line) > max_length:
        line = line[: max_length - 1].rstrip() + "…"
    return line


def _printable(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):  # control characters and line/paragraph separators
        return " "
    if category == "Cf":  # invisible format characters (bidi overrides): dropped
        return ""
    return ch
