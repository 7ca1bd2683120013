#!/usr/bin/env bash
# Build the virtual environment that runs the *published* promptwatch 0.4.6 client (WIRE_PROTOCOL.md §1).
#
#   scripts/legacy_venv.sh [DIR]        DIR defaults to .legacy-venv in the repository root (git-ignored)
#
# The client only imports with LangChain 0.1-era packages, which clash with our own dependencies, so it gets
# a virtualenv of its own, made with the same python3 as the project (.venv's, else PYTHON, else python3).
# Idempotent: when DIR holds a marker with the hash of the pin list below (and its python still runs), it
# does nothing. Needs only PyPI. Prints the interpreter path of the venv as its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/.legacy-venv}"
PINS=(
  "promptwatch==0.4.6"
  "langchain==0.1.9"
  "langchain-community==0.0.24"
  "langchain-core==0.1.27"
  "openai==1.12.0"
  "pydantic==2.14.4"
  "requests==2.34.2"
  "tiktoken==0.14.0"
  "tqdm==4.70.1"
  "numpy==1.26.4"
)

if [[ -n "${PYTHON:-}" ]]; then
  BASE_PY="$PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
  # the interpreter the project's own venv was made from, not the venv itself
  BASE_PY="$("$ROOT/.venv/bin/python" -c 'import sys; print(sys._base_executable)')"
else
  BASE_PY="$(command -v python3)"
fi

PY_VERSION="$("$BASE_PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
HASH="$(printf '%s\n' "${PINS[@]}" "python=$PY_VERSION" | sha256sum | cut -d' ' -f1)"
MARKER="$DIR/.pins-sha256"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$HASH" ]] && "$DIR/bin/python" -c 'import promptwatch' 2>/dev/null; then
  echo "legacy venv up to date: $DIR" >&2
  echo "$DIR/bin/python"
  exit 0
fi

echo "building legacy venv in $DIR with $BASE_PY ($PY_VERSION)" >&2
rm -rf "$DIR"
"$BASE_PY" -m venv "$DIR"
# --no-deps on nothing: the pins are the whole closure's tops; pip resolves the rest (aiohttp, SQLAlchemy, ...)
# from PyPI. A build-time cap like the machine's global pip constraints does not touch these packages.
"$DIR/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" >&2
"$DIR/bin/python" - <<'EOF' >&2
import promptwatch, langchain, langchain_core, openai, pydantic, requests
from langchain_community.llms.fake import FakeListLLM  # noqa: F401
from langchain_community.chat_models.fake import FakeListChatModel  # noqa: F401
print("promptwatch", promptwatch.__version__, "langchain", langchain.__version__, "langchain-core",
      langchain_core.__version__, "openai", openai.__version__, "pydantic", pydantic.VERSION,
      "requests", requests.__version__)
EOF
echo "$HASH" >"$MARKER"
echo "$DIR/bin/python"
