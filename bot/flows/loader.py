"""Finding and loading flow files. A malformed file fails here, naming file, step and problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from bot.domain.flow import Flow

SHIPPED = Path(__file__).resolve().parent


class FlowError(ValueError):
    """A flow that cannot be used; the message is one line for the admin."""


def flow_dirs(extra: Path | None = None) -> list[Path]:
    """An admin's own folder first, so an office can override a shipped flow."""
    return [d for d in (extra, SHIPPED) if d is not None]


def available(extra: Path | None = None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(flow_dirs(extra)):
        found.update({path.stem: path for path in sorted(folder.glob("*.toml"))})
    return dict(sorted(found.items()))


def load_flow(name_or_path: str, extra: Path | None = None) -> Flow:
    """Load a shipped flow by name (`unej`), or any flow file by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        flows = available(extra)
        if name_or_path not in flows:
            raise FlowError(f"unknown flow {name_or_path!r}; available: {', '.join(flows)}")
        path = flows[name_or_path]
    return load_file(path)


def load_file(path: Path) -> Flow:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FlowError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FlowError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Flow.model_validate(data)
    except ValidationError as exc:
        raise FlowError(f"{path}: {_describe(exc, data)}") from exc


def _describe(exc: ValidationError, data: dict) -> str:
    """The first problem, with the step named by its id rather than its index."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    where = ".".join(str(part) for part in loc)
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps", [])
        step_id = steps[loc[1]].get("id", f"#{loc[1] + 1}") if loc[1] < len(steps) else loc[1]
        where = f"step {step_id!r}" + "".join(f".{part}" for part in loc[2:])
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
