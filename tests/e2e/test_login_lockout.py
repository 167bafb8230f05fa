"""The lockout as a person meets it, through Daphne (the ASGI path of the axes middleware)."""

import pytest
from django.conf import settings

from tests.factories import agent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def try_password(page, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_after_too_many_wrong_passwords_the_right_one_shows_login_locked(new_page):
    agent(username="alice")
    page = new_page()

    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(page, "wrong-password")
    try_password(page, "pass-for-tests")

    assert page.locator("#locked-out").is_visible()
    assert "Too many failed attempts" in page.locator("#locked-out").inner_text()
    assert "/incidents/" not in page.url
