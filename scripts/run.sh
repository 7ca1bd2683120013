#!/usr/bin/env bash
# Install PromptWatch into .venv (once) and start it; the first run prints the URL, an owner log-in and an API key.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/promptwatch ] || [ pyproject.toml -nt .venv/.installed ]; then
  [ -d .venv ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e '.[server]'
  touch .venv/.installed
  echo "installed; the promptwatch command is .venv/bin/promptwatch (or: source .venv/bin/activate)" >&2
fi
exec .venv/bin/promptwatch up "$@"
