"""Takes the README's screenshots of the main screens into docs/screenshots/, from a throwaway server on
127.0.0.1 seeded with the browser tests' realistic sessions, in Debian's Chromium (never a downloaded one).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.scenario import seed  # noqa: E402
from tests.support.browser import launch  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.server import provision  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory, fresh_database("sqlite", Path(directory)) as url:
        server = provision(url, Path(directory)).start()
        try:
            with server.client(server.first.api_key) as client:
                stored = seed(client)
            shoot(server, stored)
        finally:
            server.stop()


def shoot(server, stored: dict) -> None:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for scheme in ("light", "dark"):
            page = browser.new_page(viewport={"width": 1440, "height": 900}, color_scheme=scheme)
            page.goto(f"{server.base_url}/ui/")
            page.fill("input[name=email]", server.first.owner_email)
            page.fill("input[name=password]", server.first.owner_password)
            page.click("button[type=submit]")
            page.wait_for_selector("tr.row")
            page.mouse.move(0, 0)  # no row under the pointer's hover
            page.screenshot(path=OUT / f"sessions-{scheme}.png")
            page.goto(f"{server.base_url}/ui/sessions/{stored['rag']['id']}")
            page.wait_for_selector("[role=treeitem]")
            page.evaluate("document.activeElement.blur()")  # the selected activity without the keyboard's ring
            page.screenshot(path=OUT / f"session-{scheme}.png")
            page.goto(f"{server.base_url}/ui/usage?range=all")
            page.wait_for_selector(".metric")
            page.wait_for_timeout(500)  # the charts draw after their data arrives
            page.screenshot(path=OUT / f"usage-{scheme}.png")
            page.goto(f"{server.base_url}/ui/templates/support-answer")
            page.wait_for_selector("h1:text-is('support-answer')")
            page.screenshot(path=OUT / f"template-{scheme}.png")
            page.goto(f"{server.base_url}/ui/settings")
            page.wait_for_selector("table[aria-label='API keys']")
            page.screenshot(path=OUT / f"settings-{scheme}.png")
            page.close()
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
