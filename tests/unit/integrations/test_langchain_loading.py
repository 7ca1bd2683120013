"""When PromptWatch loads its LangChain integration: only for an app that has imported LangChain.

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


def _run(script: str, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROMPTWATCH_")}
    env["PYTHONPATH"] = str(REPO / "src")
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
