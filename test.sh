#!/usr/bin/env bash
# Set up on a fresh machine and run every check: lint, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/pytest -q "$@"
