#!/usr/bin/env bash
# Set up on a fresh machine and start the bot on the embedded SQLite default (./humas.db).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/humas-bot run "$@"
