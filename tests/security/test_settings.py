"""A production run refuses the console email backend unless it is chosen on purpose."""

import subprocess
import sys

from django.conf import settings


def start(**env) -> subprocess.CompletedProcess:
    """Import the production settings in a fresh process with this environment only."""
    return subprocess.run(
        [sys.executable, "-c", "import incidentdesk.settings"],
        env={"SECRET_KEY": "x", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_production_refuses_to_start_with_the_default_console_email():
    refused = start()

    assert refused.returncode != 0
    assert "EMAIL_URL is the console backend" in refused.stderr


def test_console_email_is_allowed_when_chosen_or_in_debug_and_smtp_always():
    assert start(ALLOW_CONSOLE_EMAIL="true").returncode == 0
    assert start(DEBUG="true").returncode == 0
    assert start(EMAIL_URL="smtp+tls://user:pass@smtp.example.org:587").returncode == 0
