"""Browser fixtures: Debian's Chromium driven by the Python `playwright` package (never `playwright install`).
Every test gets a fresh browser context whose traffic is recorded: after the test, no response may have
carried Set-Cookie, the browser may hold no cookie, no request may have left the server's origin (such
requests are also aborted), and the page may have logged no error (a CSP violation is one)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from tests.support.browser import CHROMIUM, launch
from tests.support.server import LiveServer, Tenant


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the e2e suite must run there)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module: playwright's sync API keeps an event loop running while it is open, which
    would break asyncio.run in the tests that follow in the same process."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install playwright (never `playwright install`)")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@dataclass
class Ui:
    """A signed-out browser tab on the live server, and what it sent and received."""

    server: LiveServer
    context: object
    page: object
    responses: list = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.server.base_url

    def sign_in(self, tenant: Tenant, path: str = "/ui/", scheme: str | None = None) -> None:
        """Sign in as the tenant's owner at `path`; `scheme` ("light", "dark") is the system's colour scheme."""
        if scheme:
            self.page.emulate_media(color_scheme=scheme)
        self.page.goto(self.origin + path)
        self.page.fill("input[name=email]", tenant.owner_email)
        self.page.fill("input[name=password]", tenant.owner_password)
        self.page.click("button[type=submit]")
        self.page.get_by_role("button", name="Sign out").wait_for()

    def sign_in_with_key(self, key: str) -> None:
        self.page.goto(self.origin + "/ui/")
        self.page.click("role=tab[name='API key']")
        self.page.fill("input[name=key]", key)
        self.page.click("button[type=submit]")
        self.page.get_by_role("button", name="Sign out").wait_for()

    def open(self, path: str, ready: str) -> None:
        """Load `path` and wait until `ready` (a selector) is on the page and the network is idle."""
        self.page.goto(self.origin + path)
        self.page.wait_for_selector(ready)
        self.page.wait_for_load_state("networkidle")

    def go(self, link_text: str, ready: str) -> None:
        """Follow a main-navigation link and wait until `ready` (a selector) is on the page."""
        self.page.click(f"nav >> text={link_text}")
        self.page.wait_for_selector(ready)

    def assert_no_cookies(self) -> None:
        if self.page.url.startswith(self.origin):  # about:blank has no cookie jar to read
            assert self.page.evaluate("document.cookie") == ""
        assert self.context.cookies() == []

    def check_clean(self) -> None:
        self.assert_no_cookies()
        with_cookies = [r.url for r in self.responses if "set-cookie" in r.all_headers()]
        assert with_cookies == [], f"responses with Set-Cookie: {with_cookies}"
        assert self.foreign == [], f"requests outside {self.origin}: {self.foreign}"
        broken = [
            f"{r.status} {r.url}"
            for r in self.responses
            if r.status >= 500 or ("/static/" in r.url and r.status >= 400)
        ]
        assert broken == [], broken
        assert self.problems == [], f"the page reported errors: {self.problems}"


def _console(ui: Ui, message) -> None:
    # a failed API call (e.g. a wrong password) is reported by the page itself; everything else is a problem
    if message.type == "error" and "Failed to load resource" not in message.text:
        ui.problems.append(message.text)


@pytest.fixture
def ui(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    session = Ui(live_server, context, page)

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(live_server.base_url + "/") or url.startswith("data:"):
            route.continue_()
        else:
            session.foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    page.on("response", lambda response: session.responses.append(response))
    page.on("console", lambda message: _console(session, message))
    page.on("pageerror", lambda error: session.problems.append(str(error)))
    yield session
    try:
        session.check_clean()
    finally:
        context.close()


@pytest.fixture
def tenant(live_server) -> Tenant:
    """An account of its own for each test, so what a screen shows is exactly what the test stored."""
    return live_server.new_tenant("ui")
