"""Compact button data (Telegram allows 64 bytes, LINE 300 characters).

Approval data: `a|CODE|VERSION|STEP_INDEX|ACT`: it points at a request, a version and a
step; the service decides at the press whether the presser may act, so forged or stale
data changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.engine import Act

_SHORT = {
    Act.APPROVE: "ap",
    Act.REJECT: "rj",
    Act.RETURN: "rt",
    Act.DISPOSE: "ds",
    Act.INSTRUCT: "in",
    Act.UPLOAD: "up",
    Act.CONFIRM: "cf",
    Act.CHOOSE_CHANNELS: "ch",
    Act.PUBLISH: "pb",
    Act.ARCHIVE: "ar",
    Act.EVALUATE: "ev",
    Act.SUBMIT: "sb",  # never offered today, but encode must not raise on any act
    Act.CANCEL: "cn",
}
_LONG = {short: act for act, short in _SHORT.items()}


@dataclass(frozen=True)
class StepButton:
    code: str
    version: int
    step_index: int
    act: Act
    arg: str = ""  # e.g. the channel a toggle button names


def encode(button: StepButton) -> str:
    data = f"a|{button.code}|{button.version}|{button.step_index}|{_SHORT[button.act]}"
    return f"{data}|{button.arg}" if button.arg else data


def decode(data: str) -> StepButton | None:
    """None for anything that is not well-formed approval data."""
    parts = data.split("|")
    if len(parts) not in (5, 6) or parts[0] != "a" or not parts[1] or parts[4] not in _LONG:
        return None
    if not all(part.isascii() and part.isdigit() for part in parts[2:4]):
        return None  # int() would take "-1", " 1", "1_0": encode never writes them
    arg = parts[5] if len(parts) == 6 else ""
    return StepButton(parts[1], int(parts[2]), int(parts[3]), _LONG[parts[4]], arg)


def intake(action: str, value: str = "") -> str:
    """Intake buttons: `i|ACTION|VALUE`."""
    return f"i|{action}|{value}"


def decode_intake(data: str) -> tuple[str, str] | None:
    parts = data.split("|", 2)
    if len(parts) != 3 or parts[0] != "i":
        return None
    return parts[1], parts[2]


def evidence(code: str, channel: str) -> str:
    """Checklist buttons for channels posted by hand: `e|CODE|CHANNEL`."""
    return f"e|{code}|{channel}"


def decode_evidence(data: str) -> tuple[str, str] | None:
    parts = data.split("|")
    if len(parts) != 3 or parts[0] != "e":
        return None
    return parts[1], parts[2]
