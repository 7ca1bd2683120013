"""The public face: an explicit tested `__all__`, and `import promptwatch` without the server's packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import promptwatch

EXPECTED = {
    "Action", "Answer", "ChainSequence", "ChatMessage", "ChatMessagePromptTemplate", "DocumentSnippet",
    "LlmPrompt", "Log", "NamedPromptTemplateDescription", "ParallelPrompt", "PromptTemplateDescription",
    "PromptWatch", "Question", "RetrievedDocuments", "Span", "__version__", "configure", "flush", "observe",
    "register_prompt_template", "shutdown", "span",
}


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
        with promptwatch.PromptWatch():
            pass
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
