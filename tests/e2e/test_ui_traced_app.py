"""Issue 4's "done when", in a real Chromium: a LangChain app traced through the SDK into the running server,
then every session it recorded found in the list and understood in its detail — the whole activity tree, each
LLM call's messages, template (with its placeholders), input values and output, the retrieved documents,
errors marked — and the copy buttons copying what is shown, also where the Clipboard API is missing."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

import promptwatch
from promptwatch import PromptWatch, register_prompt_template
from tests.e2e.scenario import ANSWER, QUESTION, SYSTEM_PROMPT, seed
from tests.integration.conftest import sdk_to  # noqa: F401 - a fixture: the SDK pointed at a server

pytestmark = pytest.mark.e2e

DOCS = ["Keys can be rotated at any time.", "Deploy the new key before revoking the old one."]
REPLY = "Create a second key, deploy it, then revoke the old one."
FAILURE = "ValueError: the <b>billing</b> service is down"


def trace_langchain_app() -> None:
    """A small support bot: retrieval, a registered chat template, a chat model, a tool; a completion chain;
    and a chain that fails after its LLM call."""
    pytest.importorskip("langchain_core")
    from langchain_core.documents import Document
    from langchain_core.language_models.fake import FakeListLLM
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import RunnableLambda
    from langchain_core.tools import tool

    class Knowledge(BaseRetriever):
        def _get_relevant_documents(self, query, *, run_manager=None):
            return [Document(page_content=text, metadata={"source": f"kb/{i}.md"}) for i, text in enumerate(DOCS)]

    @tool
    def lookup_account(account: str) -> str:
        """Look up an account's plan."""
        return f"{account}: plan business"

    prompt = register_prompt_template(
        "support-qa", ChatPromptTemplate.from_messages([("system", "Answer from:\n{context}"), ("human", "{question}")])
    )
    answer = prompt | FakeListChatModel(responses=[REPLY]) | StrOutputParser()
    for customer in ("customer-0", "customer-1"):
        with PromptWatch(tracking_project="support-bot", tracking_tenant=customer):
            PromptWatch.log_user_question(QUESTION)
            docs = Knowledge().invoke(QUESTION)
            reply = answer.invoke({"context": "\n".join(d.page_content for d in docs), "question": QUESTION})
            lookup_account.invoke({"account": "acct-42"})
            PromptWatch.log_assistant_answer(reply)
    completion = PromptTemplate.from_template("Finish: {start}") | FakeListLLM(responses=["the lazy dog."])
    with PromptWatch(tracking_project="playground"):
        completion.invoke({"start": "The quick brown fox"})

    def fail(_):
        raise ValueError("the <b>billing</b> service is down")

    billing = PromptTemplate.from_template("Bill {who}") | FakeListLLM(responses=["ok"]) | RunnableLambda(fail)
    with pytest.raises(ValueError), PromptWatch(tracking_project="support-bot", tracking_tenant="customer-9"):
        billing.invoke({"who": "acme"})
    assert promptwatch.flush(10)


def stored_sessions(client, expected: int, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = client.get("/api/v1/sessions", params={"limit": 50}).json()["items"]
        if len(items) >= expected:
            return [client.get(f"/api/v1/sessions/{item['id']}").json() for item in items]
        time.sleep(0.1)
    raise AssertionError(f"fewer than {expected} sessions arrived")


def prompt_texts(call: dict) -> list[str]:
    prompt = call["prompt"]
    return [m["text"] for m in prompt] if isinstance(prompt, list) else [prompt]


def test_every_session_of_a_traced_langchain_app_is_found_and_understood(ui, tenant, sdk_to):  # noqa: F811
    sdk_to(ui.server, tenant.api_key)
    trace_langchain_app()
    with ui.server.client(tenant.api_key) as client:
        sessions = stored_sessions(client, 4)
    assert len(sessions) == 4
    page = ui.page
    ui.sign_in(tenant)
    expect(page.locator("tr.row")).to_have_count(4)
    failed = [s for s in sessions if s["is_error"]]
    assert len(failed) == 1 and "error" in page.locator(f"tr.row[data-id='{failed[0]['id']}']").inner_text()

    for session in sessions:
        page.click(f"tr.row[data-id='{session['id']}']")
        tree = page.locator("[role=tree]")
        expect(tree.locator("[role=treeitem]")).to_have_count(len(session["activities"]))
        detail = page.locator(".detail")
        for activity in session["activities"]:
            item = tree.locator(f"[role=treeitem][data-id='{activity['id']}']")
            item.click()
            expect(detail.locator(".activity-head h3")).to_have_text(item.locator(".tree-name").inner_text())
            shown = detail.inner_text()
            if activity["error"]:
                assert "failed" in (item.get_attribute("class") or "")
                assert detail.locator(".block.bad pre").inner_text() == activity["error"]
            if activity["activity_type"] == "llm-prompt":
                assert all(text in shown for text in prompt_texts(activity)), activity["prompt"]
                assert activity["generated"] in shown
            if activity["activity_type"] == "retrieved-docs":
                assert detail.locator(".documents pre.text:not(.small)").all_inner_texts() == DOCS
                assert detail.locator(".documents pre.small").count() == 0  # the source is shown once, above
        page.click("text=← Sessions")
        expect(page.locator(f"tr.row[data-id='{session['id']}']")).to_be_focused()

    # the chat template reads as its messages with their placeholders, beside the values that filled them
    page.fill("input[name=tenant]", "customer-1")
    page.press("input[name=tenant]", "Enter")
    expect(page.locator("tr.row")).to_have_count(1)
    page.click("tr.row")
    page.click("[role=treeitem]:has-text('FakeListChatModel')")
    template = page.locator(".detail .block:has(h4:text-is('Template (2 messages)'))")
    assert template.locator(".role").all_inner_texts() == ["SYSTEM", "USER"]
    assert template.locator("pre.text").all_inner_texts() == ["Answer from:\n{context}", "{question}"]
    assert "support-qa" in page.locator(".detail").inner_text()
    assert QUESTION in page.locator(".detail table.kv").inner_text()
    error = next(a for a in failed[0]["activities"] if a["error"])
    assert FAILURE in error["error"]


def test_copy_buttons_copy_what_is_shown(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    ui.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui.origin)
    page = ui.page
    ui.sign_in(tenant, f"/ui/sessions/{stored['rag']['id']}")
    detail = page.locator(".detail")
    detail.locator(f"text={SYSTEM_PROMPT}").wait_for()

    def copied(block: str) -> str:
        detail.locator(f".block:has(h4:text-is('{block}')) button.copy").click()
        expect(detail.locator(f".block:has(h4:text-is('{block}')) button.copy")).to_contain_text("Copied")
        return page.evaluate("navigator.clipboard.readText()")

    assert copied("Prompt (2 messages)") == f"system: {SYSTEM_PROMPT}\n\nuser: {QUESTION}"
    assert copied("Generated") == ANSWER
    page.locator(".session-head button.copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == stored["rag"]["id"]
    assert page.get_by_role("button", name="Copy activity id", exact=True).count() == 1  # named for screen readers


def test_copy_works_without_the_clipboard_api(ui, tenant):
    """Served over plain http on the network, the page is not a secure context and has no Clipboard API."""
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    ui.context.add_init_script(
        """Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined });
        document.addEventListener('copy', (event) => {
          const area = event.target;
          window.__copied = area.value.slice(area.selectionStart, area.selectionEnd);
        });"""
    )
    page = ui.page
    ui.sign_in(tenant, f"/ui/sessions/{stored['rag']['id']}")
    generated = page.locator(".detail .block:has(h4:text-is('Generated'))")
    generated.locator("button.copy").click()
    expect(generated.locator("button.copy")).to_contain_text("Copied")
    assert page.evaluate("window.__copied") == ANSWER
    assert page.evaluate("document.querySelectorAll('textarea.sr-only').length") == 0
    expect(generated.locator("button.copy")).to_be_focused()
