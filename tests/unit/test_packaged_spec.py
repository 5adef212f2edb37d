"""The API descriptions shipped in the package (for the sandbox on a machine without
../shared) are the ones the tests check against, and are used when ../shared is absent."""

from __future__ import annotations

import gzip

import pytest

from bot.emulator import spec_files
from bot.emulator.line import LineEmulator
from bot.emulator.line_spec import MESSAGING_SPEC, WEBHOOK_SPEC
from bot.emulator.spec_files import PACKAGED_DIR, SpecMissing, specs_dir
from bot.emulator.telegram_spec import SPEC_FILE, BotApiSpec

SHIPPED = (SPEC_FILE, MESSAGING_SPEC, WEBHOOK_SPEC)
LICENCES = ("telegram-bot-api.LICENSE", "line-openapi.LICENSE")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_packaged_spec_is_the_shared_one(name):
    shared = specs_dir() / name
    if not shared.exists():
        pytest.skip("no ../shared/specs here")
    assert gzip.decompress((PACKAGED_DIR / f"{name}.gz").read_bytes()) == shared.read_bytes()


@pytest.mark.parametrize("name", LICENCES)
def test_each_licence_ships_beside_its_spec(name):
    shipped = PACKAGED_DIR / name
    assert shipped.read_text("utf-8").strip(), f"{name} is not shipped"
    shared = specs_dir() / name
    if shared.exists():
        assert shipped.read_bytes() == shared.read_bytes()


def test_without_shared_specs_the_packaged_copies_are_used(monkeypatch, tmp_path):
    monkeypatch.setenv("HUMAS_SPECS_DIR", str(tmp_path / "missing"))
    spec = BotApiSpec.load()
    assert "sendPhoto" in spec.methods and "answerCallbackQuery" in spec.methods
    line = LineEmulator()
    assert line.spec.find("POST", "/v2/bot/message/reply")[0].operation_id == "replyMessage"
    assert "FollowEvent" in line.webhook_spec.schemas


def test_a_spec_missing_everywhere_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("HUMAS_SPECS_DIR", str(tmp_path / "missing"))
    monkeypatch.setattr(spec_files, "PACKAGED_DIR", tmp_path / "empty")
    with pytest.raises(SpecMissing, match=MESSAGING_SPEC):
        LineEmulator()
