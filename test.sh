#!/usr/bin/env bash
# Set up on a fresh machine and run every check: lint, then the whole test suite on SQLite,
# then again on PostgreSQL: a throwaway server (scripts/postgres.sh; it installs Debian's
# postgresql if missing), stopped and removed afterwards, or the one HUMAS_TEST_DATABASE names.
# HUMAS_TEST_DATABASES=sqlite (or postgresql) runs only one of the two; arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
.venv/bin/ruff check .
databases=" ${HUMAS_TEST_DATABASES:-sqlite postgresql} "
failed=0
if [[ "$databases" == *" sqlite "* ]]; then
    echo "== the tests on SQLite"
    env -u HUMAS_TEST_DATABASE .venv/bin/pytest -q "$@" || failed=1
fi
if [[ "$databases" == *" postgresql "* ]]; then
    url="${HUMAS_TEST_DATABASE:-}"
    if [ -z "$url" ]; then
        url=$(bash scripts/postgres.sh start)
        trap 'bash scripts/postgres.sh stop "$url"' EXIT
    fi
    echo "== the tests on PostgreSQL"
    HUMAS_TEST_DATABASE="$url" .venv/bin/pytest -q "$@" || failed=1
fi
exit "$failed"
