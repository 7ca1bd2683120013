"""Issue 7 from the SDK's side, against the real server: registered templates become versions, the label
fetch, CachedLLM / CachedChatLLM and the cache API, unit-test runs (with the API and the pytest plugin)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("langchain_core")

from langchain_core.embeddings import Embeddings  # noqa: E402
from langchain_core.language_models.fake import FakeListLLM  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate  # noqa: E402

import promptwatch  # noqa: E402
from promptwatch import CachedChatLLM, CachedLLM, PromptWatch, PromptWatchError, register_prompt_template  # noqa: E402
from promptwatch.sdk.templates import registry  # noqa: E402
from promptwatch.unit_tests import TestCase, UnitTest  # noqa: E402
from tests.support.payloads import uid  # noqa: E402
from tests.support.server import free_port  # noqa: E402


class CountingLLM(FakeListLLM):
    """A fake LLM that counts how often it was really called."""

    calls: int = 0

    def _call(self, *args, **kwargs):
        self.calls += 1
        return super()._call(*args, **kwargs)


class CountingChat(FakeListChatModel):
    calls: int = 0

    def _call(self, *args, **kwargs):
        self.calls += 1
        return super()._call(*args, **kwargs)


class WordEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors (a real `Embeddings` subclass, no model)."""

    VOCABULARY = ["tell", "me", "about", "cats", "dogs", "topic", "the", "sun", "moon", "what"]

    def _vector(self, text: str) -> list[float]:
        words = text.lower().replace(":", " ").replace("?", " ").split()
        return [float(words.count(word)) for word in self.VOCABULARY] + [1.0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def poll(fetch, ready, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ready(value) or time.monotonic() > deadline:
            return value
        promptwatch.flush(1)
        time.sleep(0.1)


def session_activities(client, session_id: str, count: int) -> list[dict]:
    stored = poll(lambda: client.get(f"/api/v1/sessions/{session_id}").json(),
                  lambda body: len(body.get("activities", [])) >= count)
    return stored["activities"]


# templates and labels -------------------------------------------------------------------------------------

def test_a_registered_template_in_a_chain_makes_versions_and_a_label_serves_one(live_server, sdk_to):
    tenant = live_server.new_tenant("templates")
    sdk_to(live_server, tenant.api_key)
    name = f"finisher_{uid()}"
    llm = FakeListLLM(responses=["the lazy dog."])
    first = register_prompt_template(name, PromptTemplate.from_template("Finish this sentence: {input}"), "1.0")
    second = PromptTemplate.from_template("Finish this sentence, briefly: {input}")
    register_prompt_template(name, second, version="1.0")
    with PromptWatch(tracking_project="templates"):
        (first | llm).invoke({"input": "The quick brown fox"})
        (second | llm).invoke({"input": "The quick brown fox"})
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        template = poll(lambda: client.get(f"/api/v1/templates/{name}").json(),
                        lambda body: len(body.get("versions", [])) >= 2)
        assert [v["version"] for v in template["versions"]] == ["1.0.0", "1.0.1"]
        assert client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.0"}).status_code == 200

        fetched = promptwatch.get_prompt_template(name)  # label "production"
        assert isinstance(fetched, PromptTemplate) and fetched.template == "Finish this sentence: {input}"
        with PromptWatch(tracking_project="templates"):  # a call made from it counts for the labelled version
            (fetched | llm).invoke({"input": "A label"})
        assert promptwatch.flush(10)
        template = poll(lambda: client.get(f"/api/v1/templates/{name}").json(),
                        lambda body: body["versions"][0]["stats"]["calls"] >= 2)
        assert [v["version"] for v in template["versions"]] == ["1.0.0", "1.0.1"]
        assert template["versions"][0]["stats"]["calls"] == 2

        client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.1"})
        assert promptwatch.get_prompt_template(name).template == "Finish this sentence: {input}"  # within the TTL
        assert promptwatch.get_prompt_template(name, ttl=0).template == second.template  # asked again

    with pytest.raises(PromptWatchError, match="no label"):
        promptwatch.get_prompt_template(name, label="staging")
    assert promptwatch.get_prompt_template(name, label="staging", default="fallback {input}") == "fallback {input}"


def test_a_chat_template_behind_a_label_comes_back_as_a_chat_template(live_server, sdk_to):
    tenant = live_server.new_tenant("chat-label")
    sdk_to(live_server, tenant.api_key)
    name = f"support_{uid()}"
    with live_server.client(tenant.api_key) as client:
        created = client.post(f"/api/v1/templates/{name}/versions", json={"template": [
            {"role": "system", "prompt_template": "You help {company}."},
            {"role": "user", "prompt_template": "{question}"}], "version": "2.0"}).json()
        client.put(f"/api/v1/templates/{name}/labels/production", json={"version": created["version"]})
        fetched = promptwatch.get_prompt_template(name)
        assert isinstance(fetched, ChatPromptTemplate)
        messages = fetched.format_messages(company="ACME", question="When?")
        assert [(m.type, m.content) for m in messages] == [("system", "You help ACME."), ("human", "When?")]
        with PromptWatch():
            (fetched | FakeListChatModel(responses=["At 9."])).invoke({"company": "ACME", "question": "When?"})
        assert promptwatch.flush(10)
        template = poll(lambda: client.get(f"/api/v1/templates/{name}").json(),
                        lambda body: body["versions"][0]["stats"]["calls"] >= 1)
        assert [v["version"] for v in template["versions"]] == ["2.0.0"]  # the same content, the same version


def test_the_label_fetch_answers_its_last_value_when_the_server_is_gone(fresh_server, sdk_to):
    server = fresh_server().start()
    sdk_to(server, server.first.api_key)
    name = f"stale_{uid()}"
    with server.client(server.first.api_key) as client:
        created = client.post(f"/api/v1/templates/{name}/versions", json={"template": "Hi {who}"}).json()
        client.put(f"/api/v1/templates/{name}/labels/production", json={"version": created["version"]})
    assert promptwatch.get_prompt_template(name).template == "Hi {who}"
    server.stop()
    started = time.monotonic()
    assert promptwatch.get_prompt_template(name, ttl=0).template == "Hi {who}"
    assert time.monotonic() - started < 3
    with pytest.raises(PromptWatchError):
        promptwatch.get_prompt_template("never-fetched", ttl=0)


# the cache ------------------------------------------------------------------------------------------------

def test_cached_llm_hits_the_same_question_and_refuses_the_near_miss(live_server, sdk_to):
    tenant = live_server.new_tenant("cache")
    sdk_to(live_server, tenant.api_key)
    key = uid("k")
    inner = CountingLLM(responses=["About 150 million km.", "About 384,400 km."])
    llm = CachedLLM(inner, cache_namespace_key=key)
    session_id = uid("cache-")
    with PromptWatch(session_id=session_id, tracking_project="astro"):
        assert llm.invoke("What is the distance from Earth to the Sun?") == "About 150 million km."
        assert llm.invoke("What is the distance from Earth to the Sun?") == "About 150 million km."
        assert inner.calls == 1  # the second answer came from the cache
        assert llm.invoke("What is the distance from Earth to the Moon?") == "About 384,400 km."
        assert inner.calls == 2  # a near miss is never served from the cache
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        calls = [a for a in session_activities(client, session_id, 3) if a["activity_type"] == "llm-prompt"]
        namespaces = {item["namespace"]: item for item in client.get("/api/v1/cache").json()["items"]}
    marks = [call.get("metadata", {}).get("cache") for call in sorted(calls, key=lambda a: a["order"])]
    assert [mark["hit"] for mark in marks] == [False, True, False]
    assert marks[1]["similarity"] >= 0.99 and marks[1]["namespace"] == f"astro.{key}"
    hit = sorted(calls, key=lambda a: a["order"])[1]
    assert hit["usage"]["total_tokens"] == 0 and not hit.get("cost")
    assert namespaces[f"astro.{key}"]["entries"] == 2 and namespaces[f"astro.{key}"]["hits"] == 1


def test_cached_chat_llm_and_the_cache_api(live_server, sdk_to):
    tenant = live_server.new_tenant("chat-cache")
    sdk_to(live_server, tenant.api_key)
    inner = CountingChat(responses=["We open at 9."])
    chat = CachedChatLLM(inner, cache_namespace_key="hours")
    with PromptWatch():
        assert chat.invoke("When do you open?").content == "We open at 9."
        assert chat.invoke("When do you open?").content == "We open at 9."
    assert inner.calls == 1

    namespace = f"api.{uid()}"
    cache = promptwatch.cache
    assert cache.lookup("How many moons does Mars have?", namespace=namespace) is None
    assert cache.store("How many moons does Mars have?", "Two.", namespace=namespace)
    hit = cache.lookup("How many moons does Mars have?", namespace=namespace)
    assert hit is not None and hit.result == "Two." and hit.similarity >= 0.99
    assert cache.lookup("How many moons does Jupiter have?", namespace=namespace) is None
    assert cache.clear(namespace) == 1
    assert cache.lookup("How many moons does Mars have?", namespace=namespace) is None
    assert cache.namespace_for("x") == "default.x"


def test_cached_llm_with_own_embeddings_speaks_the_published_vector_protocol(live_server, sdk_to):
    tenant = live_server.new_tenant("vectors")
    sdk_to(live_server, tenant.api_key)
    prompt = register_prompt_template(f"about_{uid()}", PromptTemplate.from_template("Tell me about {topic}"), "1.0")
    inner = CountingLLM(responses=["Cats purr.", "Dogs bark."])
    chain = prompt | CachedLLM(inner, cache_namespace_key="vec", cache_embeddings=WordEmbeddings())
    with PromptWatch(tracking_project="vectors"):
        assert chain.invoke({"topic": "cats"}) == "Cats purr."
        assert chain.invoke({"topic": "cats"}) == "Cats purr."
        assert inner.calls == 1
        assert chain.invoke({"topic": "dogs"}) == "Dogs bark."  # another input value is another entry
        assert inner.calls == 2
    with live_server.client(tenant.api_key) as client:
        legacy = client.post("/prompt-cache/vectors.vec/get", json={
            "embedding": [WordEmbeddings().embed_query("topic: cats")],
            "prompt_template_identity": f"{prompt_name(prompt)}:1.0", "prompt_input_values": {"topic": "cats"}})
    assert legacy.json()["result"] == "Cats purr."


def prompt_name(template) -> str:
    return registry.named({"prompt_template": template.template})["template_name"]


def test_the_cache_never_blocks_or_raises_when_the_server_is_unreachable(tmp_path, sdk_to):
    class Dead:
        base_url = f"http://127.0.0.1:{free_port()}"

    sdk_to(Dead, "ZGVhZDpzZWNyZXQ=")  # base64("dead:secret")
    inner = CountingLLM(responses=["fine"])
    started = time.monotonic()
    with PromptWatch():
        assert CachedLLM(inner).invoke("hello") == "fine"
        assert CachedLLM(inner).invoke("hello") == "fine"
    assert inner.calls == 2 and time.monotonic() - started < 5
    assert promptwatch.cache.lookup("hello") is None and promptwatch.cache.store("hello", "x") is False


# unit tests -----------------------------------------------------------------------------------------------

def test_a_unit_test_over_annotated_calls_posts_a_run_the_server_lists(live_server, sdk_to):
    tenant = live_server.new_tenant("unit")
    sdk_to(live_server, tenant.api_key)
    name = f"slogan_{uid()}"
    prompt = register_prompt_template(name, PromptTemplate.from_template("A slogan for {product}"), "1.0")
    session_id = uid("examples-")
    with PromptWatch(session_id=session_id, tracking_project="unit"):
        (prompt | FakeListLLM(responses=["Just do it"])).invoke({"product": "shoes"})
        (prompt | FakeListLLM(responses=["Buy now or else"])).invoke({"product": "shoes"})
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        calls = sorted((a for a in session_activities(client, session_id, 4) if a["activity_type"] == "llm-prompt"),
                       key=lambda a: a["order"])
        for call, label in zip(calls, (1, 0)):
            assert client.put(f"/api/v1/activities/{call['id']}/annotation", json={"label": label}).status_code == 200

    test_name = f"slogans-{uid()}"
    with UnitTest(test_name, verbose=False).for_prompt_template(name) as test:
        cases = 0
        for case in test.test_cases():
            cases += 1
            assert case.inputs == {"product": "shoes"}
            result = case.evaluate(prompt | FakeListLLM(responses=["Just do it"]))
            assert result.passed and result.score > 0.99 and result.activity_id is not None
    assert cases == 1

    inline = f"inline-{uid()}"
    with pytest.raises(RuntimeError, match="on purpose"), UnitTest(inline, verbose=False).for_test_cases([
        TestCase(inputs={"input": "The quick brown fox"}, outputs=[{"label": 1, "value": "jumps over the lazy dog"}]),
        {"inputs": {"input": "boom"}, "outputs": [{"label": 1, "value": "anything"}]},
    ]) as test:
        for case in test.test_cases():
            if case.inputs["input"] == "boom":
                case.evaluate(lambda inputs: (_ for _ in ()).throw(RuntimeError("failed on purpose")))
            else:
                case.evaluate_result("jumps over the lazy dog")

    with live_server.client(tenant.api_key) as client:
        runs = {run["test_name"]: run for run in client.get("/api/v1/tests/runs").json()["items"]}
        assert runs[test_name]["passed"] == 1 and runs[test_name]["total_processed"] == 1
        assert runs[test_name]["end_time"] is not None and runs[test_name]["conditions"]["for_template_name"] == name
        detail = client.get(f"/api/v1/tests/runs/{runs[test_name]['run_id']}").json()
        assert detail["results"][0]["llm_prompt"]["generated"] == "Just do it"
        assert detail["results"][0]["evaluation_metadata"]["closest_reference_example"] == {
            "label": 1, "value": "Just do it"}
        assert (runs[inline]["passed"], runs[inline]["failed"]) == (1, 1)
        assert runs[inline]["overall_score"] == pytest.approx(0.5)
        failed = client.get(f"/api/v1/tests/runs/{runs[inline]['run_id']}").json()["results"][1]
        assert failed["passed"] is False and "failed on purpose" in failed["error_description"]
        assert failed["order"] == 2 and failed["conversation_session_id"] == runs[inline]["session_id"]


def test_the_pytest_plugin_makes_one_test_per_case_and_posts_the_run(live_server, tmp_path):
    tenant = live_server.new_tenant("plugin")
    test_name = f"plugin-{uid()}"
    (tmp_path / "test_prompts.py").write_text(textwrap.dedent(f"""
        import pytest

        @pytest.mark.promptwatch_unit_test("{test_name}", cases=[
            {{"id": "good", "inputs": {{"q": "capital of France"}}, "outputs": [{{"label": 1, "value": "Paris"}}]}},
            {{"id": "bad", "inputs": {{"q": "capital of Spain"}}, "outputs": [{{"label": 1, "value": "Madrid"}}]}},
        ])
        def test_capitals(promptwatch_case):
            promptwatch_case.evaluate(lambda inputs: "Paris")
    """))
    env = {**os.environ, "PROMPTWATCH_API_KEY": tenant.api_key, "PROMPTWATCH_HOST_URL": live_server.base_url,
           "PROMPTWATCH_SPOOL_DIR": str(tmp_path / "spool"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "promptwatch.pytest_plugin", "-q", "-p", "no:cacheprovider",
         str(tmp_path / "test_prompts.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout and "test_capitals[bad]" in result.stdout
    with live_server.client(tenant.api_key) as client:
        run = client.get("/api/v1/tests/runs", params={"test_name": test_name}).json()["items"][0]
    assert (run["passed"], run["failed"], run["total_processed"]) == (1, 1, 2) and run["end_time"] is not None
