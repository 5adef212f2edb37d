#!/usr/bin/env bash
# Set up on a fresh machine (.venv, once) and start the bot on the embedded SQLite default
# (./humas.db); with no platform configured, the sandbox. Arguments go to `humas-bot run`
# (e.g. --flow unej); the sandbox's port is HUMAS_SANDBOX_PORT (default 8765).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh run
exec .venv/bin/humas-bot run "$@"
