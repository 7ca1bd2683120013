"""A screen whose modules load on demand (widgets.lazy) shows itself once they are in, however their arrival
falls against the screen's first render: the module may come in between that render and its effects, as when
a row is clicked while the session screen's modules are being fetched ahead."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

SHOWN = """async (arrival) => {
  const { lazy } = await import("/static/ui/widgets.js");
  const { html, render } = await import("/static/ui/lib.js");
  let arrive;
  const Screen = lazy(() => new Promise((resolve) => { arrive = resolve; }));
  if (arrival !== "before render") Screen.preload();
  const box = document.createElement("div");
  document.body.append(box);
  const View = () => html`<p class="lazy-screen">the screen</p>`;
  if (arrival === "before render") {
    Screen.preload();
    arrive(View);
    await Screen.preload();
  }
  render(html`<${Screen} />`, box);
  // a resolved promise's callbacks run before the next frame, where the first render's effects run
  if (arrival === "between render and effects") arrive(View);
  if (arrival === "after effects") {
    await new Promise((resolve) => setTimeout(resolve, 100));
    arrive(View);
  }
  for (let tries = 0; tries < 100 && !box.querySelector(".lazy-screen"); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return box.textContent;
}"""


@pytest.mark.parametrize("arrival", ["before render", "between render and effects", "after effects"])
def test_a_lazy_screen_shows_once_its_modules_arrive(ui, arrival):
    ui.page.goto(ui.origin + "/ui/")
    ui.page.wait_for_selector("input[name=email]")
    assert ui.page.evaluate(SHOWN, arrival) == "the screen"
