"""requirements.lock (pip-compile --generate-hashes, what the image installs) must pin every
dependency pyproject.toml declares, at a version its range allows."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements.lock").read_text()
PINS = {
    canonicalize_name(name): Version(version)
    for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", LOCK, flags=re.MULTILINE)
}


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def test_the_lock_pins_every_dependency_within_its_declared_range():
    outside = {
        str(req): str(PINS.get(canonicalize_name(req.name)))
        for req in declared()
        if canonicalize_name(req.name) not in PINS
        or PINS[canonicalize_name(req.name)] not in req.specifier
    }
    assert not outside


def test_the_lock_pins_the_extras_it_was_asked_for():
    # psycopg[binary] brings psycopg-binary, at the same version as psycopg
    assert PINS["psycopg-binary"] == PINS["psycopg"]


def test_every_pin_carries_hashes_so_the_image_installs_with_require_hashes():
    blocks = re.split(r"^(?=[A-Za-z0-9])", LOCK, flags=re.MULTILINE)
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=" not in b]
    assert not unhashed
    assert len(PINS) > len(declared())
