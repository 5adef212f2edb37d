#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#
#   scripts/postgres.sh start        installs Debian's postgresql if it is missing, creates a
#                                    cluster in a fresh temporary folder that listens only on a
#                                    Unix socket inside that folder (no TCP port, so runs by several
#                                    people on one machine never meet), prints its URL
#   scripts/postgres.sh stop URL     stops that cluster and removes its folder
#
# As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
# Durability is switched off (fsync, full-page writes): the cluster lives for one test run.
set -euo pipefail

as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo -n)

pg_bin() {
    # Debian keeps the server's programs out of PATH, one folder per major version.
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
    [ -n "$newest" ] && [ -x "$newest/initdb" ] && echo "$newest"
}

install_postgresql() {
    pg_bin > /dev/null && return 0
    if ! command -v apt-get > /dev/null || ! "${as_root[@]}" true 2> /dev/null; then
        echo "postgres.sh: PostgreSQL is not installed: sudo apt-get install postgresql" >&2
        return 1
    fi
    echo "postgres.sh: installing Debian's postgresql" >&2
    "${as_root[@]}" apt-get update -qq
    # only the programs are used; the package's own cluster (if it makes one) is left alone
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
    pg_bin > /dev/null
}

start() {
    install_postgresql
    local bin dir run_as=()
    bin=$(pg_bin)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/humas-pg.XXXXXX")
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        run_as=(runuser -u postgres --)
    fi
    "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
        > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses='' -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        > /dev/null || { cat "$dir/server.log" >&2; rm -rf "$dir"; return 1; }
    echo "postgresql://postgres@/postgres?host=$dir"
}

stop() {
    local url="${1:?usage: postgres.sh stop URL}" dir bin run_as=()
    dir="${url##*host=}"
    # only ever remove a folder this script made
    case "$dir" in */humas-pg.*) ;; *) echo "postgres.sh: not a cluster of mine: $url" >&2; return 1 ;; esac
    [ -f "$dir/data/PG_VERSION" ] || { rm -rf "$dir"; return 0; }
    bin=$(pg_bin)
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: scripts/postgres.sh start | stop URL" >&2; exit 2 ;;
esac
