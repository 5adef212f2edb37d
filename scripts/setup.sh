#!/usr/bin/env bash
# Create .venv and install humas-bot into it (with the test tools when given "test").
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
if [ "${1:-}" = "test" ]; then
    .venv/bin/pip install --quiet -e '.[test]'
    # The sandbox's browser test drives Debian's Chromium (Playwright never downloads a browser
    # here); the emoji font makes the bot's buttons readable in its screenshots.
    if [ ! -x /usr/bin/chromium ] && command -v apt-get > /dev/null; then
        as_root=()
        [ "$(id -u)" = 0 ] || as_root=(sudo -n)
        if "${as_root[@]}" true 2> /dev/null; then
            "${as_root[@]}" apt-get update -qq
            "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq chromium fonts-noto-color-emoji > /dev/null
        else
            echo "setup: the browser test needs Chromium: sudo apt-get install chromium fonts-noto-color-emoji" >&2
        fi
    fi
fi
