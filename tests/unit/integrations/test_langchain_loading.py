"""When PromptWatch loads its LangChain integration: only for an app that has imported LangChain, that is a
module named `langchain` or `langchain_*`, even when `langchain_core` itself is loaded only later.

Each case runs in a fresh interpreter (this one has LangChain loaded by the other tests), with
langchain-core installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.capture_sink import API_KEY

REPO = Path(__file__).resolve().parents[3]


def _run(script: str, *args: str, python_path: Path | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROMPTWATCH_")}
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in (REPO / "src", python_path) if path)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_context_in_an_app_without_langchain_never_imports_it(tmp_path):
    loaded = _run(
        """
        import importlib.util, sys
        import promptwatch
        assert importlib.util.find_spec("langchain_core") is not None  # installed, not imported
        promptwatch.configure(api_key=sys.argv[1], host_url="http://127.0.0.1:9", spool_dir=sys.argv[2],
                              shutdown_timeout=0.5)

        @promptwatch.observe
        def work(x):
            return x

        with promptwatch.PromptWatch(tracking_project="no-langchain"):
            work(1)
        async def main():
            async with promptwatch.PromptWatch():
                work(2)
        import asyncio
        asyncio.run(main())
        print(sorted(m for m in sys.modules if m.startswith("langchain") or m == "promptwatch.integrations.langchain"))
        """,
        API_KEY, str(tmp_path / "spool"),
    )
    assert loaded == "[]"


def test_langchain_imported_after_promptwatch_is_recorded_by_the_next_context(sink, tmp_path):
    _run(
        """
        import sys
        import promptwatch
        promptwatch.configure(api_key=sys.argv[1], host_url=sys.argv[2], spool_dir=sys.argv[3])
        from langchain_core.language_models.fake import FakeListLLM

        with promptwatch.PromptWatch(tracking_project="langchain-later"):
            FakeListLLM(responses=["ok"]).invoke("hi")
        assert promptwatch.flush(10)
        """,
        API_KEY, sink.url, str(tmp_path / "spool"),
    )
    llm_calls = sink.of_type("llm-prompt")
    assert [(call["prompt"], call["generated"]) for call in llm_calls] == [("hi", "ok")]


LATE_LANGCHAIN_CORE = """
    import sys
    import promptwatch
    promptwatch.configure(api_key=sys.argv[1], host_url=sys.argv[2], spool_dir=sys.argv[3])
    import {module}  # all the app imports at the top: langchain_core is not loaded yet
    assert "langchain_core" not in sys.modules

    def answer():
        from langchain_core.language_models.fake import FakeListLLM  # loaded late, inside a function

        return FakeListLLM(responses=["ok"]).invoke("hi")

    with promptwatch.PromptWatch(tracking_project="langchain-late"):
        answer()
    assert promptwatch.flush(10)
    """


def _stub_package(root: Path, name: str) -> Path:
    """A package named `name` whose `__init__` imports nothing, as LangChain 1.x's `langchain` does."""
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text('__version__ = "1.0.0"\n')
    return root


def test_an_app_that_imported_langchain_is_recorded_though_langchain_core_loads_later(sink, tmp_path):
    stubs = _stub_package(tmp_path / "stubs", "langchain")
    _run(LATE_LANGCHAIN_CORE.format(module="langchain"), API_KEY, sink.url, str(tmp_path), python_path=stubs)
    assert [(call["prompt"], call["generated"]) for call in sink.of_type("llm-prompt")] == [("hi", "ok")]


def test_an_app_that_imported_a_langchain_partner_package_is_recorded(sink, tmp_path):
    stubs = _stub_package(tmp_path / "stubs", "langchain_acme")
    _run(LATE_LANGCHAIN_CORE.format(module="langchain_acme"), API_KEY, sink.url, str(tmp_path), python_path=stubs)
    assert [(call["prompt"], call["generated"]) for call in sink.of_type("llm-prompt")] == [("hi", "ok")]
