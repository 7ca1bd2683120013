#!/usr/bin/env bash
# Build the virtual environment that runs the *published* promptwatch 0.4.6 client (WIRE_PROTOCOL.md §1).
#
#   scripts/legacy_venv.sh [DIR]        DIR defaults to .legacy-venv in the repository root (git-ignored)
#
# The client only imports with LangChain 0.1-era packages, which clash with our own dependencies, so it gets
# a virtualenv of its own, made with the same python3 as the project (the one .venv was made from, else
# $PYTHON, else python3). Idempotent: when DIR holds a marker with the hash of the pin list (and the python
# version) and the client imports, nothing is done. Needs only PyPI. Concurrent runs wait for each other.
# Prints the venv's interpreter path as its last line. Exit codes: 0 ok, 75 the package index could not be
# reached (offline), anything else a real failure.
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
OFFLINE=75

if [[ -n "${PYTHON:-}" ]]; then
  BASE_PY="$PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
  BASE_PY="$("$ROOT/.venv/bin/python" -c 'import sys; print(sys._base_executable)')"
else
  BASE_PY="$(command -v python3)"
fi
PY_VERSION="$("$BASE_PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
HASH="$(printf '%s\n' "${PINS[@]}" "python=$PY_VERSION" | sha256sum | cut -d' ' -f1)"
MARKER="$DIR/.pins-sha256"

up_to_date() {
  [[ -f "$MARKER" && "$(cat "$MARKER")" == "$HASH" ]] && "$DIR/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("promptwatch") is None)' 2>/dev/null
}

if up_to_date; then
  echo "legacy venv up to date: $DIR" >&2
  echo "$DIR/bin/python"
  exit 0
fi

# one builder at a time per DIR (two test runs may start together); the lock lives outside DIR
if command -v flock >/dev/null; then
  LOCK="${TMPDIR:-/tmp}/promptwatch-legacy-venv-$(printf '%s' "$DIR" | sha256sum | cut -c1-16).lock"
  exec 9>"$LOCK"
  flock 9
  if up_to_date; then
    echo "$DIR/bin/python"
    exit 0
  fi
fi

echo "building legacy venv in $DIR with $BASE_PY ($PY_VERSION)" >&2
rm -rf "$DIR"
"$BASE_PY" -m venv "$DIR"
LOG="$DIR/pip-install.log"
if ! "$DIR/bin/python" -m pip install --disable-pip-version-check --no-input "${PINS[@]}" >"$LOG" 2>&1; then
  grep -v "is ignored: it is neither a file nor a directory" "$LOG" | tail -n 25 >&2
  # tell "cannot reach the index" apart from "a pin does not resolve": can pip fetch one small file at all?
  PROBE="$(mktemp -d)"
  if ! "$DIR/bin/python" -m pip download --disable-pip-version-check --no-input --no-deps -d "$PROBE" \
    "promptwatch==0.4.6" >/dev/null 2>&1; then
    rm -rf "$PROBE"
    echo "legacy venv: the package index cannot be reached" >&2
    exit "$OFFLINE"
  fi
  rm -rf "$PROBE"
  echo "legacy venv: pip install failed (see $LOG)" >&2
  exit 1
fi
"$DIR/bin/python" - >&2 <<'EOF'
import langchain, langchain_core, openai, promptwatch, pydantic, requests
from langchain_community.chat_models.fake import FakeListChatModel  # noqa: F401
from langchain_community.llms.fake import FakeListLLM  # noqa: F401
print("legacy venv:", "promptwatch", promptwatch.__version__, "langchain", langchain.__version__,
      "langchain-core", langchain_core.__version__, "openai", openai.__version__, "pydantic", pydantic.VERSION,
      "requests", requests.__version__)
EOF
echo "$HASH" >"$MARKER"
echo "$DIR/bin/python"
