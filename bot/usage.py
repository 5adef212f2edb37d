"""How a command refuses bad input: one line naming what is wrong, and exit code 2.

It sits below everything that can refuse (the CLI, the runner, the sandbox), so each of them
imports it downwards instead of taking it from the CLI above them.
"""

from __future__ import annotations

import sys
from typing import NoReturn


def fail(message: str) -> NoReturn:
    print(f"humas-bot: {message}", file=sys.stderr)
    raise SystemExit(2)
