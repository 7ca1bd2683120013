"""Page views in a real Chromium and an account's opt-out of usage statistics (P4, P5): signed in, the UI reports
each screen with its credential, and the server leaves out the screens of an account whose owner opted out;
signed out, the sign-in page is what is counted."""

from __future__ import annotations

import pytest

from tests.integration.test_customers_usage_stats import page_count
from tests.support.server import server_with_env

pytestmark = pytest.mark.e2e

SCREENS = ("/ui/sessions", "/ui/usage", "/ui/templates", "/ui/settings")


@pytest.fixture(scope="module")
def live_server(backend, tmp_path_factory):
    """A server of its own, so that the counters hold only this module's page views."""
    directory = tmp_path_factory.mktemp(f"ui-page-views-{backend}")
    with server_with_env(backend, directory, PROMPTWATCH_USAGE_STATS_FLUSH_SECONDS="0.2") as server:
        yield server


def counts(server) -> dict[str, int]:
    return {route: page_count(server, route) for route in (*SCREENS, "/ui/login")}


def page_views(ui) -> list:
    return [r for r in ui.responses if r.url.endswith("/api/v1/page-views")]


def viewed(ui, path: str, signed_in: bool = True):
    """Waits for the answer to the page view of `path` that the UI sends (with its credential or without)."""
    return ui.page.expect_response(
        lambda r: (
            r.url.endswith("/api/v1/page-views")
            and r.request.post_data_json == {"path": path}
            and ("authorization" in r.request.headers) == signed_in
        )
    )


def visit_screens(ui) -> None:
    """Templates, sessions and costs, by the main navigation (client-side, no page load)."""
    for title, path in (
        ("Prompt templates", "/ui/templates"),
        ("Sessions", "/ui/sessions"),
        ("Costs & usage", "/ui/usage"),
    ):
        with viewed(ui, path):
            ui.page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()


def test_p4_the_screens_of_an_account_that_opted_out_are_not_counted(ui, tenant):
    page = ui.page
    with viewed(ui, "/ui/settings"):
        ui.sign_in(tenant, "/ui/settings?tab=account")
    switch = page.locator("input[name=usage_stats]")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/account/usage-stats") and r.request.method == "PUT"):
        switch.uncheck()
    assert not switch.is_checked()
    before = counts(ui.server)
    with viewed(ui, "/ui/settings"):
        page.reload()  # the first page of a visit, signed in
    visit_screens(ui)
    signed_in = [r for r in page_views(ui) if "authorization" in r.request.headers]
    assert len(signed_in) == 5 and all(r.status == 204 for r in signed_in)
    assert counts(ui.server) == before
    with viewed(ui, "/ui/usage", signed_in=False):
        page.get_by_role("button", name="Sign out").click()
    assert counts(ui.server) == before | {"/ui/login": before["/ui/login"] + 1}  # a visitor sees the sign-in page


def test_p5_the_screens_of_a_counted_account_are_counted_with_its_credential(ui, tenant):
    before = counts(ui.server)
    with viewed(ui, "/ui/usage"):
        ui.sign_in(tenant, "/ui/usage")  # the sign-in page first, then the screen once signed in
    visit_screens(ui)
    views = page_views(ui)
    assert "authorization" not in views[0].request.headers
    assert all("authorization" in r.request.headers for r in views[1:])
    after = counts(ui.server)
    assert after["/ui/login"] == before["/ui/login"] + 1
    assert after["/ui/usage"] == before["/ui/usage"] + 2 and after["/ui/sessions"] == before["/ui/sessions"] + 1
    assert after["/ui/templates"] == before["/ui/templates"] + 1
