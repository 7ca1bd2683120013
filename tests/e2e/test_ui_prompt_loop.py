"""The prompt-improvement loop in a real Chromium: a provider configured in the settings (its key never
shown), a recorded LLM call replayed with an edited input against a fake OpenAI server and shown beside
the original, a label moved and rolled back (and the API's error shown), a version and a template deleted,
and a unit-test run opened and compared with another run."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.integration.test_prompt_cache_and_tests import result, run
from tests.support.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import llm, session, uid
from tests.support.server import server_with_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_server(backend, tmp_path_factory):
    """This module's server may call the fake provider on 127.0.0.1 (PROMPTWATCH_REPLAY_ALLOW_PRIVATE_URLS)."""
    directory = tmp_path_factory.mktemp(f"loop-ui-{backend}")
    with server_with_env(backend, directory, PROMPTWATCH_REPLAY_ALLOW_PRIVATE_URLS="true") as server:
        yield server


def test_replay_with_an_edited_input_beside_the_original(ui, tenant, fake_openai: FakeOpenAI):  # noqa: F811
    sid, aid = uid("s-"), uid("llm-")
    template = {
        "template_name": "summary",
        "prompt_template": "Summarize {topic}",
        "prompt_input_params": ["topic"],
        "format": "f-string",
    }
    call = llm(
        aid,
        sid,
        prompt="Summarize cats",
        generated="Cats are great.",
        prompt_template=template,
        prompt_input_values={"topic": "cats"},
        usage={"prompt_tokens": 2, "completion_tokens": 3},
    )
    with ui.server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [call]}).status_code == 200
    ui.sign_in(tenant, "/ui/settings?tab=providers")
    page = ui.page
    form = page.locator("form[aria-label='Add or change a provider']")
    form.locator("input[name=base_url]").fill(fake_openai.base_url)
    form.locator("input[name=api_key]").fill("sk-e2e-never-shown")
    form.locator("input[name=default_model]").fill("gpt-4o-mini")
    form.locator("button[type=submit]").click()
    expect(page.locator("tr[data-provider=default] td").nth(2)).to_have_text("set")
    assert "sk-e2e-never-shown" not in page.content()

    page.goto(f"{ui.origin}/ui/sessions/{sid}?activity={aid}")
    page.locator("details.replay > summary").click()
    replay = page.locator("form[aria-label='Replay with edits']")
    replay.locator("input[name='input:topic']").fill("dogs")
    replay.locator("input[name=temperature]").fill("0.3")
    replay.locator("button[type=submit]").click()
    done = page.locator(".replay-result[aria-label='This replay']")
    expect(done.locator("pre")).to_have_text("Echo: Summarize dogs")
    expect(page.locator(".replay-result[aria-label='Original'] pre")).to_have_text("Cats are great.")
    assert "input_values" in done.inner_text()
    expect(page.locator("table[aria-label='Earlier replays'] tbody tr")).to_have_count(1)
    sent = fake_openai.requests[-1]
    assert sent["messages"][-1]["content"] == "Summarize dogs" and sent["temperature"] == 0.3


def _recorded_call(ui, tenant, fake: FakeOpenAI, **fields) -> tuple[str, str]:
    """An LLM call stored with these fields and a provider that answers from `fake`: (session id, call id)."""
    sid, aid = uid("s-"), uid("llm-")
    admin = ui.server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with ui.server.client(admin) as client:
        assert client.put("/api/v1/providers/default", json={"base_url": fake.base_url}).status_code == 200
    with ui.server.client(tenant.api_key) as client:
        ingested = client.post(
            "/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(aid, sid, **fields)]}
        )
        assert ingested.status_code == 200
    return sid, aid


def _open_replay(ui, tenant, sid: str, aid: str):
    ui.sign_in(tenant, f"/ui/sessions/{sid}?activity={aid}")
    ui.page.locator("details.replay > summary").click()
    return ui.page.locator("form[aria-label='Replay with edits']")


def test_a_chat_template_is_edited_and_its_new_placeholder_gets_a_field(ui, tenant, fake_openai: FakeOpenAI):  # noqa: F811
    template = [
        {"role": "system", "prompt_template": "You are {persona}.", "format": "f-string"},
        "history",
        {"role": "user", "prompt_template": "About {topic}", "format": "f-string"},
    ]
    sid, aid = _recorded_call(
        ui,
        tenant,
        fake_openai,
        prompt=[
            {"role": "system", "text": "You are kind."},
            {"role": "user", "text": "Hi"},
            {"role": "user", "text": "About cats"},
        ],
        prompt_template={"template_name": "chat", "prompt_template": template, "format": "chat_messages"},
        prompt_input_values={"persona": "kind", "topic": "cats", "history": [{"role": "user", "text": "Hi"}]},
    )
    replay = _open_replay(ui, tenant, sid, aid)
    expect(replay.get_by_text("{history}: the recorded messages of this placeholder")).to_be_visible()
    expect(replay.locator("input[name='input:style']")).to_have_count(0)
    replay.locator("textarea[name='template:2']").fill("About {topic} as a {style}")
    replay.locator("input[name='input:style']").fill("haiku")
    replay.locator("button[type=submit]").click()
    expect(ui.page.locator(".replay-result[aria-label='This replay'] pre")).to_have_text("Echo: About cats as a haiku")
    sent = [(m["role"], m["content"]) for m in fake_openai.requests[-1]["messages"]]
    assert sent == [("system", "You are kind."), ("user", "Hi"), ("user", "About cats as a haiku")]


def test_a_messages_placeholder_is_read_only_and_the_messages_can_be_edited_instead(
    ui,
    tenant,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    template = ["history", {"role": "user", "prompt_template": "About {topic}", "format": "f-string"}]
    sid, aid = _recorded_call(
        ui,
        tenant,
        fake_openai,
        prompt=[{"role": "user", "text": "Hi"}, {"role": "user", "text": "About cats (redacted)"}],
        prompt_template={"template_name": "chat", "prompt_template": template, "format": "chat_messages"},
        prompt_input_values={"topic": "cats", "history": [{"role": "user", "text": "Hi"}]},
    )
    replay = _open_replay(ui, tenant, sid, aid)
    expect(replay.get_by_text("Input history: the 1 recorded messages, sent as they were")).to_be_visible()
    expect(replay.locator("input[name='input:history']")).to_have_count(0)
    replay.get_by_label("Edit the messages instead of the template").check()
    expect(replay.locator("textarea[name='template:1']")).to_have_count(0)
    replay.locator("textarea[name='message:1']").fill("About dogs")
    replay.locator("button[type=submit]").click()
    expect(ui.page.locator(".replay-result[aria-label='This replay'] pre")).to_have_text("Echo: About dogs")
    sent = [(m["role"], m["content"]) for m in fake_openai.requests[-1]["messages"]]
    assert sent == [("user", "Hi"), ("user", "About dogs")]


def test_a_new_placeholder_left_empty_is_named_by_the_error(ui, tenant, fake_openai: FakeOpenAI):  # noqa: F811
    sid, aid = _recorded_call(
        ui,
        tenant,
        fake_openai,
        prompt="Summarize cats",
        prompt_template={"template_name": "summary", "prompt_template": "Summarize {topic}", "format": "f-string"},
        prompt_input_values={"topic": "cats"},
    )
    replay = _open_replay(ui, tenant, sid, aid)
    replay.locator("textarea[name=template]").fill("Summarize {topic} for {reader}")
    expect(replay.locator("input[name='input:reader']")).to_be_visible()
    replay.locator("button[type=submit]").click()
    expect(ui.page.locator("details.replay [role=alert]")).to_contain_text("{reader}")
    assert fake_openai.requests == []


def test_a_call_without_a_template_has_its_messages_edited(ui, tenant, fake_openai: FakeOpenAI):  # noqa: F811
    sid, aid = _recorded_call(
        ui,
        tenant,
        fake_openai,
        prompt=[{"role": "system", "text": "Be brief."}, {"role": "user", "text": "Hi there"}],
    )
    replay = _open_replay(ui, tenant, sid, aid)
    expect(replay.locator("textarea[name=template]")).to_have_count(0)
    replay.locator("textarea[name='message:1']").fill("Hello again")
    replay.locator("button[type=submit]").click()
    expect(ui.page.locator(".replay-result[aria-label='This replay'] pre")).to_have_text("Echo: Hello again")
    sent = [(m["role"], m["content"]) for m in fake_openai.requests[-1]["messages"]]
    assert sent == [("system", "Be brief."), ("user", "Hello again")]


def test_labels_move_and_roll_back_and_a_version_and_the_template_are_deleted(ui, tenant):
    name = f"t_{uid()}"
    with ui.server.client(tenant.api_key) as client:
        for text in ("One {x}", "Two {x}", "Three {x}"):
            client.post(f"/api/v1/templates/{name}/versions", json={"template": text, "version": "1.0"})
        client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.0"})
    ui.sign_in(tenant, f"/ui/templates/{name}")
    page = ui.page
    production = page.locator("tr[data-label=production]")
    production.locator("select").select_option("1.0.1")
    production.locator("button:text-is('Move')").click()
    expect(page.locator("tr[data-label=production] td").nth(1)).to_have_text("1.0.1")
    page.locator("tr[data-label=production] button:text-is('Roll back')").click()
    expect(page.locator("tr[data-label=production] td").nth(1)).to_have_text("1.0.0")

    adding = page.locator(".labels-panel form")
    adding.locator("input[name=label]").fill("canary")
    adding.locator("select[name=version]").select_option("1.0.2")
    adding.locator("button[type=submit]").click()
    canary = page.locator("tr[data-label=canary]")
    expect(canary.locator("td").nth(1)).to_have_text("1.0.2")
    canary.locator("button:text-is('Roll back')").click()  # a new label has nothing to roll back to
    expect(canary.locator("[role=alert]")).to_contain_text("no earlier version")

    page.locator("tr[data-version='1.0.2']").click()
    page.locator(".version button:text-is('Delete version')").click()
    expect(page.locator(".version [role=alertdialog]")).to_contain_text("canary")
    page.locator(".version button:text-is('Delete permanently')").click()
    expect(page.locator("tr[data-version]")).to_have_count(2)
    expect(page.locator("tr[data-label=canary]")).to_have_count(0)

    page.locator("header button:text-is('Delete template')").click()
    page.locator("header button:text-is('Delete permanently')").click()
    expect(page).to_have_url(re.compile(r"/ui/templates$"))
    with ui.server.client(tenant.api_key) as client:
        assert client.get(f"/api/v1/templates/{name}").status_code == 404


def test_a_test_run_opens_and_compares_with_another(ui, tenant):
    name, first, second = f"unit {uid()}", uid(), uid()
    with ui.server.client(tenant.api_key) as client:
        for run_id, outcomes in ((first, (True, True)), (second, (True, False))):
            client.post(f"/tests/{quote(name)}/runs", json=run(run_id, name, passed=sum(outcomes)))
            details = [result(i + 1, passed, 0.9 if passed else 0.1) for i, passed in enumerate(outcomes)]
            client.post(f"/tests/{quote(name)}/runs/{run_id}/result-details", json=details)
    ui.sign_in(tenant)
    page = ui.page
    ui.go("Unit tests", f"section[data-test='{name}']")
    expect(page.locator(f"section[data-test='{name}'] tbody tr")).to_have_count(2)
    page.locator(f"tr[data-run='{first}'] a").click()
    expect(page.locator("table[aria-label='Results'] tbody tr")).to_have_count(2)
    page.locator("select[aria-label='Compare with run']").select_option(second)
    expect(page).to_have_url(re.compile(rf"\?compare={second}$"))
    rows = page.locator("table[aria-label='Comparison'] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("td[data-side=a]")).to_contain_text("passed")
    expect(rows.nth(1).locator("td[data-side=b]")).to_contain_text("failed")
