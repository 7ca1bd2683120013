#!/usr/bin/env bash
# Install everything the tests need into .venv (once) and run the whole suite on SQLite and PostgreSQL.
# Extra arguments go to pytest, e.g. `scripts/test.sh --db sqlite -k p18`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/pytest ] || [ pyproject.toml -nt .venv/.installed-dev ]; then
  [ -d .venv ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e '.[dev]'
  touch .venv/.installed-dev
fi
exec .venv/bin/python -m pytest "$@"
