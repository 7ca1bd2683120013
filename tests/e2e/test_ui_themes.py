"""Light and dark themes in a real Chromium: the system's choice unless the toggle picked one for this tab (kept
in sessionStorage only), and every text of the main screens readable in both (WCAG AA contrast)."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import each_main_screen

pytestmark = pytest.mark.e2e

BACKGROUND = "getComputedStyle(document.body).backgroundColor"
# every element with text of its own whose contrast with the background behind it is below WCAG AA
# (4.5:1, or 3:1 for large text)
LOW_CONTRAST = r"""() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/);
    const p = m ? m[1].split(',').map(Number) : [0, 0, 0, 0];
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const behind = (el) => { for (; el; el = el.parentElement) { const c = parse(getComputedStyle(el).backgroundColor);
    if (c.a > 0.5) return c; } return parse(getComputedStyle(document.body).backgroundColor); };
  const low = [];
  for (const el of document.querySelectorAll('#app *')) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('.sr-only')) continue;
    const [a, b] = [luminance(parse(style.color)), luminance(behind(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : 4.5)) low.push(`${ratio.toFixed(2)}: ${el.tagName} "${text}"`);
  }
  return low;
}"""


def test_the_theme_follows_the_system_until_the_toggle_picks_one_for_the_tab(ui, tenant, browser):
    page = ui.page
    ui.sign_in(tenant, scheme="dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate(BACKGROUND)

    page.get_by_role("button", name="Switch between light and dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate(BACKGROUND) != dark
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"  # kept for this tab
    assert page.evaluate("sessionStorage.getItem('promptwatch.theme')") == "light"
    assert page.evaluate("Object.keys(localStorage).length") == 0

    other = browser.new_context(color_scheme="dark")  # another tab starts from the system's choice again
    try:
        fresh = other.new_page()
        fresh.goto(ui.origin + "/ui/")
        fresh.wait_for_selector("input[name=email]")
        assert fresh.evaluate("document.documentElement.dataset.theme") == "dark"
    finally:
        other.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_is_readable_in_both_themes(ui, tenant, scheme):
    for path in each_main_screen(ui, tenant, scheme):
        assert ui.page.evaluate(LOW_CONTRAST) == [], path
