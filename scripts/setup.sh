#!/usr/bin/env bash
# Create .venv and install humas-bot into it: what ./run.sh needs, or with "test" the test tools
# too. When pyproject.toml has not changed since the last install (a stamp in .venv holds its
# hash), nothing is installed again, so a second ./run.sh starts in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
case "$mode" in
    run | test) ;;
    *) echo "usage: scripts/setup.sh [run|test]" >&2; exit 2 ;;
esac

if ! .venv/bin/python -c '' 2> /dev/null; then  # none yet, or made by a Python since removed
    python=${PYTHON:-python3}
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2> /dev/null; then
        echo "setup: humas-bot needs Python 3.11 or newer as $python (set PYTHON=/path/to/python3.11)" >&2
        exit 2
    fi
    rm -rf .venv
    if ! "$python" -m venv .venv; then
        rm -rf .venv
        echo "setup: '$python -m venv' failed; on Debian or Ubuntu: sudo apt-get install python3-venv" >&2
        exit 2
    fi
fi

# The stamp says "<sha256 of pyproject.toml> <run|test>"; a test install holds the run one too.
stamp=.venv/.humas-installed
hash=$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
installed=$(cat "$stamp" 2> /dev/null || true)
if [ -x .venv/bin/humas-bot ] && { [ "$installed" = "$hash test" ] || [ "$installed" = "$hash $mode" ]; }; then
    echo "setup: .venv is up to date ($mode)" >&2
else
    echo "setup: installing humas-bot and its libraries into .venv ($mode; the first time takes a minute or two)" >&2
    rm -f "$stamp"
    .venv/bin/pip install --quiet --upgrade pip
    # setuptools' boxed "Editable installation" warning is about package folders in the working
    # directory; this checkout is the package, so it would only alarm a newcomer
    extras=""
    [ "$mode" = test ] && extras="[test]"
    PYTHONWARNINGS="ignore:Editable installation" .venv/bin/pip install --quiet -e ".$extras"
    echo "$hash $mode" > "$stamp"
fi

if [ "$mode" = test ]; then
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
