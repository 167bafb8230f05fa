"""Personal data in a real browser: an agent meets a closed call that is not theirs, the data
protection officer finds who looked and downloads the caller's export."""

import json
from pathlib import Path

import pytest

from core import phones
from tests.e2e.conftest import log_in, screenshot
from tests.factories import UserFactory, agent, supervisor
from tests.privacy.history import RUTH, full_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_sees_no_caller_and_the_dpo_sees_who_looked_and_exports(new_page, reference_data):
    incident = full_history(RUTH)
    agent(username="newcomer")
    supervisor(username="sam")
    UserFactory(username="dora", role="Data protection officer")

    page = new_page()
    log_in(page, "newcomer")
    page.goto(f"/incidents/{incident.pk}/")
    caller = page.locator("#caller")
    assert "Contact details hidden" in caller.inner_text()
    body = page.locator("main").inner_text()
    assert RUTH.name not in body
    assert not any(form in body for form in phones.written_forms(RUTH.phone))
    screenshot(page, "personal-data-hidden-from-agent")

    page = new_page()
    log_in(page, "sam")
    page.goto(f"/incidents/{incident.pk}/")
    assert phones.normalise(RUTH.phone) in page.locator("#caller").inner_text()  # E.164

    page = new_page()
    log_in(page, "dora")
    page.goto(f"/privacy/?incident={incident.reference}")
    rows = page.locator("table.contact-views tbody tr")
    assert rows.count() == 1 and "sam" in rows.first.inner_text()
    screenshot(page, "personal-data-dpo-page")
    page.fill("#id_export_email", RUTH.email)
    page.select_option("#id_export_format", "json")
    with page.expect_download() as download:
        page.locator("#export-form").get_by_role("button", name="Download").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["incidents"][0]["reference"] == incident.reference
