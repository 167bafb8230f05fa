"""The typed policy snapshot a running escalation follows.

`Escalation.snapshot` is JSON written when the incident entered its policy, possibly by an
older version of this code. It is read here, once, into frozen dataclasses, so the engine
never reads a raw key at firing time: a missing key takes its default, an unknown key is
ignored, a renamed key is read under both names. Write with `to_dict`, read with
`from_dict`; bump SNAPSHOT_VERSION when the shape changes and keep reading the old one.

Version 1 (no "version" key): the shape of issue 5, steps with `ack_timeout_seconds`.
Version 2: the same keys plus "version"; this is what new snapshots are written as.

This module imports no models (escalation.models imports it), so its defaults are the
plain values of the choices they stand for.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

SNAPSHOT_VERSION = 2

# The defaults of EscalationStep's fields, for snapshots written without them.
DEFAULT_ACTION = "notify"
DEFAULT_CHANNEL = "in_app"
DEFAULT_ACK_TIMEOUT = timedelta(minutes=5)
DEFAULT_MAX_REPEATS = 2


def _int_or_none(value) -> int | None:
    return None if value in (None, "") else int(value)


@dataclass(frozen=True)
class StepSnapshot:
    """One step as the running escalation keeps it."""

    id: int
    name: str = ""
    trigger: str = ""
    order: int = 0
    percent: int | None = None
    minutes: int | None = None
    action: str = DEFAULT_ACTION
    channel: str = DEFAULT_CHANNEL
    notify_group: str | None = None
    notify_user_id: int | None = None
    team: str = ""
    requires_ack: bool = False
    ack_timeout: timedelta = DEFAULT_ACK_TIMEOUT
    max_repeats: int = DEFAULT_MAX_REPEATS

    @property
    def recipients(self) -> dict:
        return {"group": self.notify_group, "user_id": self.notify_user_id}

    @classmethod
    def from_dict(cls, data: dict) -> "StepSnapshot":
        seconds = data.get("ack_timeout_seconds", data.get("ack_timeout"))
        return cls(
            id=int(data["id"]),
            name=data.get("name") or "",
            trigger=data.get("trigger") or "",
            order=int(data.get("order") or 0),
            percent=_int_or_none(data.get("percent")),
            minutes=_int_or_none(data.get("minutes")),
            action=data.get("action") or DEFAULT_ACTION,
            channel=data.get("channel") or DEFAULT_CHANNEL,
            notify_group=data.get("notify_group") or None,
            notify_user_id=_int_or_none(data.get("notify_user_id")),
            team=data.get("team") or "",
            requires_ack=bool(data.get("requires_ack", False)),
            ack_timeout=(
                DEFAULT_ACK_TIMEOUT if seconds in (None, "") else timedelta(seconds=int(seconds))
            ),
            max_repeats=int(data.get("max_repeats", DEFAULT_MAX_REPEATS)),
        )

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ack_timeout"}
        data["ack_timeout_seconds"] = int(self.ack_timeout.total_seconds())
        return data


@dataclass(frozen=True)
class PolicySnapshot:
    """The policy as it was when the incident entered it (or someone re-applied it)."""

    version: int = SNAPSHOT_VERSION
    policy_id: int | None = None
    policy_name: str | None = None
    taken_at: datetime | None = None
    steps: tuple[StepSnapshot, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: dict | None) -> "PolicySnapshot":
        data = data or {}
        taken_at = data.get("taken_at")
        return cls(
            # A snapshot written before versions existed is version 1.
            version=int(data.get("version", 1)) if data else SNAPSHOT_VERSION,
            policy_id=_int_or_none(data.get("policy_id")),
            policy_name=data.get("policy_name") or None,
            taken_at=datetime.fromisoformat(taken_at) if taken_at else None,
            steps=tuple(
                StepSnapshot.from_dict(step) for step in data.get("steps", []) if "id" in step
            ),
        )

    def to_dict(self) -> dict:
        if self.policy_id is None and not self.steps:
            return {}
        return {
            "version": self.version,
            "policy_id": self.policy_id,
            "policy_name": self.policy_name,
            "taken_at": self.taken_at.isoformat() if self.taken_at else None,
            "steps": [step.to_dict() for step in self.steps],
        }

    def step(self, step_id: int) -> StepSnapshot | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def with_trigger(self, trigger: str) -> list[StepSnapshot]:
        return [s for s in self.steps if s.trigger == trigger]
