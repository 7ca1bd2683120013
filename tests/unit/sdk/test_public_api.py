"""The public face: an explicit tested `__all__`, and `import promptwatch` without the server's packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import promptwatch
from tests.unit.test_layers import SRC, imports_of

EXPECTED = {
    "Action", "Answer", "CachedChatLLM", "CachedLLM", "ChainSequence", "ChatMessage", "ChatMessagePromptTemplate",
    "Client", "ContextThreadPoolExecutor", "DocumentSnippet", "LlmPrompt", "Log", "NamedPromptTemplateDescription",
    "ParallelPrompt", "PromptTemplateDescription", "PromptWatch", "PromptWatchError", "PromptWatchLlmCache",
    "Question", "RetrievedDocuments", "Span",
    "__version__", "cache", "configure", "current_activity", "current_session",
    "find_and_register_templates_recursive", "find_templates_recursive",
    "flush", "get_prompt_template", "in_context", "observe", "register_prompt_template", "shutdown", "span",
}
# imported on first use: they need langchain-core
LANGCHAIN_NAMES = {"CachedLLM", "CachedChatLLM", "PromptWatchLlmCache"}


def test_all_is_exactly_the_public_api():
    assert set(promptwatch.__all__) == EXPECTED
    assert sorted(promptwatch.__all__) == promptwatch.__all__
    for name in promptwatch.__all__:
        assert hasattr(promptwatch, name), name


def test_import_works_without_server_packages_and_patches_nothing():
    script = textwrap.dedent(
        """
        import sys
        BLOCKED = ("fastapi", "sqlalchemy", "starlette", "uvicorn", "alembic", "langchain_core", "openai")

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{name} is blocked")
                return None

        sys.meta_path.insert(0, Block())
        import promptwatch, promptwatch.sdk, promptwatch.sdk.session, promptwatch.integrations
        import promptwatch.unit_tests, promptwatch.unit_tests.evaluation, promptwatch.unit_tests.schema
        with promptwatch.PromptWatch():
            pass
        assert promptwatch.cache.lookup("anything") is None   # no key: a miss, no network
        try:
            promptwatch.CachedLLM
        except ImportError as exc:
            assert "pip install 'promptwatch[langchain]'" in str(exc), exc
        else:
            raise AssertionError("CachedLLM without langchain-core")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        assert not loaded, loaded
        assert not any(m.startswith("promptwatch.server") for m in sys.modules)
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_langchain_support_without_langchain_is_a_clear_install_message():
    script = textwrap.dedent(
        """
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "langchain_core":
                    raise ImportError("blocked")
                return None

        sys.meta_path.insert(0, Block())
        import importlib.util
        importlib.util.find_spec = lambda name, *a: None if name == "langchain_core" else None
        import promptwatch
        try:
            promptwatch.PromptWatch().langchain
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "pip install 'promptwatch[langchain]'" in result.stdout, result.stderr


def test_the_published_import_paths():
    from promptwatch.langchain import CachedChatLLM, CachedLLM, PromptWatchLlmCache
    from promptwatch.unit_tests import UnitTest
    from promptwatch.unit_tests.evaluation import CosineScoreEvaluationStrategy, EvaluationStrategyBase
    from promptwatch.unit_tests.schema import LabeledOutput, PromptUnitTestRun, TestCase, TestCaseResult

    assert promptwatch.CachedLLM is CachedLLM and promptwatch.CachedChatLLM is CachedChatLLM
    assert promptwatch.PromptWatchLlmCache is PromptWatchLlmCache
    assert issubclass(CosineScoreEvaluationStrategy, EvaluationStrategyBase)
    assert all([UnitTest, LabeledOutput, PromptUnitTestRun, TestCase, TestCaseResult])


def test_new_sdk_packages_never_import_the_server():
    from tests.unit.test_layers import offenders

    for folder in ("unit_tests", "langchain"):
        assert not offenders(folder, ("promptwatch.server", "promptwatch.cli", "fastapi", "sqlalchemy"))
    assert not offenders("schema", ("promptwatch.sdk", "promptwatch.server", "promptwatch.integrations"))
    plugin = (SRC / "pytest_plugin.py")
    assert not [m for m in imports_of(plugin) if m.startswith(("promptwatch.server", "fastapi", "sqlalchemy"))]


def test_the_pytest_plugin_entry_point_is_declared():
    import tomllib

    project = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"promptwatch": "promptwatch.pytest_plugin"}
