"""How the centre writes times and durations, shared by the pages and the admin."""

from datetime import timedelta

_UNITS = [("d", timedelta(days=1)), ("h", timedelta(hours=1)), ("min", timedelta(minutes=1))]


def humane_duration(duration: timedelta | None) -> str:
    """15 min, 4 h, 3 d, 1 h 30 min: how the centre talks about targets."""
    if duration is None:
        return "—"
    parts, rest = [], duration
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or f"{int(duration.total_seconds())} s"
