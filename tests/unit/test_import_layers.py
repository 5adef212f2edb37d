"""The command line, the runner, the Telegram application and the sandbox import only
downwards: none of them reaches itself again through its imports, function-level imports
included (an import inside a function is still a dependency, just a later one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERED = ("bot.cli", "bot.sandbox.main", "bot.sandbox.server", "bot.runner",
           "bot.handlers.telegram.application")


def module_files() -> dict[str, Path]:
    found = {}
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("storage/**/*.py")]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules this file imports, anywhere in it. `from bot.media import limits`
    names the submodule, not the package."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                names.add(sub if sub in modules else node.module)
    return {name for name in names if name in modules}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imported(path, modules) for name, path in modules.items()}


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


@pytest.mark.parametrize("module", LAYERED)
def test_no_import_leads_back(graph, module):
    assert module in graph, f"{module} moved: update LAYERED"
    assert module not in reachable(graph, module), f"{module} imports something that imports it back"


def test_only_the_entry_point_imports_the_cli(graph):
    importers = sorted(name for name, targets in graph.items() if "bot.cli" in targets)
    assert importers == ["bot.__main__"]


def test_the_layers_go_one_way(graph):
    """Higher in LAYERED may import lower, never the reverse."""
    for index, lower in enumerate(LAYERED):
        upwards = set(LAYERED[:index]) & reachable(graph, lower)
        assert not upwards, f"{lower} imports (through others) {sorted(upwards)}, above it"
