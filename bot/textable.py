"""Plain-text tables for the terminal, wrapping long cells instead of cutting them."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 34) -> str:
    widths = [
        min(max_width, max(len(str(cell)) for cell in column))
        for column in zip(headers, *rows, strict=True)
    ]
    lines = [_row(headers, widths), "-+-".join("-" * w for w in widths)]
    lines += [_row(row, widths) for row in rows]
    return "\n".join(lines)


def _row(cells: Sequence[str], widths: list[int]) -> str:
    wrapped = [textwrap.wrap(str(cell), width) or [""] for cell, width in zip(cells, widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for i in range(height):
        parts = [
            (lines[i] if i < len(lines) else "").ljust(width)
            for lines, width in zip(wrapped, widths, strict=True)
        ]
        out.append(" | ".join(parts).rstrip())
    return "\n".join(out)
