"""Every main page works under the Content-Security-Policy in Chromium: no policy violation
and no console error, as an agent, a supervisor and an admin, and the API docs render from
our own static files with every other host blocked."""

import pytest

from customer_care import services as care
from dispatch import links
from incidents.models import PriorityMatrix
from tests.e2e.conftest import log_in, screenshot
from tests.factories import admin_user, agent, log, resolve, resource, send, supervisor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Playwright adds this before any page script, outside the page's CSP.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watched(new_page):
    page = new_page()
    page.add_init_script(LISTEN)
    problems = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return page, problems


def visit(page, problems, path: str, name: str) -> None:
    response = page.goto(path)
    assert response.status < 400, f"{path}: {response.status}"
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__violations")
    screenshot(page, f"csp-{name}")
    assert violations == [], f"{path}: {violations}"
    assert problems == [], f"{path}: {problems}"


def test_the_agent_pages_run_under_the_policy(new_page, reference_data):
    agent(username="alice")
    incident = log()
    page, problems = watched(new_page)

    log_in(page, "alice")
    visit(page, problems, "/incidents/", "agent-list")
    visit(page, problems, f"/incidents/{incident.pk}/", "agent-detail")
    visit(page, problems, "/incidents/new/", "agent-new")
    # The form's live help comes through htmx: its requests and swaps run under the policy.
    page.select_option("#id_category", label="Water leak or flood")
    page.locator("#priority-preview, .assist").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__violations") == []
    assert problems == []


def test_the_supervisor_pages_run_under_the_policy(new_page, reference_data):
    supervisor(username="sam")
    incident = log()
    send(incident, resource("FAC-1"))
    page, problems = watched(new_page)

    log_in(page, "sam")
    visit(page, problems, f"/incidents/{incident.pk}/", "supervisor-detail")
    visit(page, problems, "/escalations/", "supervisor-escalations")
    visit(page, problems, "/board/", "supervisor-board")


def test_the_public_link_pages_run_under_the_policy(new_page, reference_data):
    incident = log(caller_email="ruth@example.org")
    dispatch = send(incident, resource("FAC-1"))
    resolve(incident)
    token = care.survey_token(incident.satisfaction_links.get())
    page, problems = watched(new_page)

    visit(page, problems, "/login/", "login")
    visit(page, problems, f"/status/{links.token_for(dispatch.pk)}/", "status-link")
    visit(page, problems, f"/satisfaction/{token}/", "survey")


def test_the_admin_pages_run_under_the_policy(new_page, reference_data):
    admin_user(username="ada")
    made = resource("FAC-1", contacts={"radio": "FAC-1", "sms": "07700 900201"})
    matrix = PriorityMatrix.objects.get()
    page, problems = watched(new_page)

    log_in_admin(page, "ada")
    for path, name in (
        ("/admin/", "admin-index"),
        ("/admin/incidents/priority/", "admin-priorities"),
        (f"/admin/incidents/prioritymatrix/{matrix.pk}/change/", "admin-matrix"),
        (f"/admin/dispatch/resource/{made.pk}/change/", "admin-resource"),
        ("/admin/auth/user/add/", "admin-user-add"),
        ("/admin/knox/authtoken/", "admin-tokens"),
        ("/admin/axes/accessattempt/", "admin-attempts"),
    ):
        visit(page, problems, path, name)


def log_in_admin(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-for-tests")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/")


def test_the_api_docs_render_offline_from_our_static_files(new_page, server_url, reference_data):
    agent(username="alice")
    page, problems = watched(new_page)
    elsewhere = []

    def only_our_server(route):
        if route.request.url.startswith(server_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    log_in(page, "alice")
    visit(page, problems, "/api/docs/", "api-docs")
    page.get_by_text("IncidentDesk API").first.wait_for()
    page.locator(".opblock").first.wait_for()

    assert elsewhere == []


def test_anonymous_people_are_sent_to_log_in_for_the_api_docs(new_page):
    page = new_page()

    page.goto("/api/docs/")

    assert "/login/?next=/api/docs/" in page.url
