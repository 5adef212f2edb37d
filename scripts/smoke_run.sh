#!/usr/bin/env bash
# Smoke test of the README's run command, as a newcomer types it: `./run.sh` with no token (no
# HUMAS_* variable, no humas.toml) on a free port. The page it names must answer HTTP 200, and
# SIGTERM must stop it with exit code 0 and no traceback. On a fresh clone it sets up .venv
# first, which takes a while: SMOKE_WAIT seconds at most (default 900). Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
wait_for=${SMOKE_WAIT:-900}
log=$(mktemp "${TMPDIR:-/tmp}/humas-smoke.XXXXXX")
pid=""

finish() {
    if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then kill -KILL "$pid" 2> /dev/null || true; fi
    rm -f "$log"
}
trap finish EXIT

failed() {
    echo "smoke: FAILED: $1" >&2
    echo "---- ./run.sh said (last 40 lines):" >&2
    tail -n 40 "$log" >&2
    exit 1
}

for name in $(compgen -e); do
    case "$name" in HUMAS_*) unset "$name" ;; esac
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export HUMAS_SANDBOX_PORT=$port HUMAS_CONFIG=/nonexistent/humas.toml

started=$SECONDS
./run.sh > "$log" 2>&1 &
pid=$!
url=""
while [ -z "$url" ]; do
    kill -0 "$pid" 2> /dev/null || { wait "$pid" && code=0 || code=$?; failed "./run.sh ended with exit code $code before naming its page"; }
    [ $((SECONDS - started)) -lt "$wait_for" ] || failed "./run.sh named no page within $wait_for s"
    url=$(grep -o "Open http://127\.0\.0\.1:[0-9]*/" "$log" | head -n 1 | cut -c6- || true)
    [ -n "$url" ] || sleep 1
done
[ "$url" = "http://127.0.0.1:$port/" ] || failed "the page is at $url, not on HUMAS_SANDBOX_PORT=$port"
answered=$SECONDS
status=$(python3 - "$url" << 'EOF'
import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=30) as page:
        print(page.status)
except Exception as exc:  # noqa: BLE001 - anything but a page is the answer to report
    print(exc)
EOF
)
[ "$status" = 200 ] || failed "$url answered $status, not 200"

kill -TERM "$pid" 2> /dev/null || true
stopping=$SECONDS
while kill -0 "$pid" 2> /dev/null; do
    [ $((SECONDS - stopping)) -lt 60 ] || failed "./run.sh still running 60 s after SIGTERM"
    sleep 0.2
done
if wait "$pid"; then code=0; else code=$?; fi
pid=""
[ "$code" = 0 ] || failed "after SIGTERM ./run.sh exited with $code, not 0"
! grep -q "Traceback" "$log" || failed "./run.sh printed a traceback"
echo "smoke: ./run.sh served $url (HTTP 200) after $((answered - started)) s; SIGTERM: exit 0, no traceback"
