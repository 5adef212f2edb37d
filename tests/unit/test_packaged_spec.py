"""The Bot API description shipped in the package (for the sandbox on a machine without
../shared) is the one the tests check against."""

from __future__ import annotations

import gzip
import json

import pytest

from bot.emulator.telegram_spec import PACKAGED_SPEC, SPEC_FILE, BotApiSpec, specs_dir


def test_the_packaged_spec_is_the_shared_one():
    shared = specs_dir() / SPEC_FILE
    if not shared.exists():
        pytest.skip("no ../shared/specs here")
    assert json.loads(gzip.decompress(PACKAGED_SPEC.read_bytes())) == json.loads(shared.read_text("utf-8"))


def test_without_shared_specs_the_packaged_copy_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("HUMAS_SPECS_DIR", str(tmp_path / "missing"))
    spec = BotApiSpec.load()
    assert "sendPhoto" in spec.methods and "answerCallbackQuery" in spec.methods
