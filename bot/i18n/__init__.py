"""All user-facing text, Indonesian first, English second. `t(key, lang, **params)`."""

from __future__ import annotations

from bot.i18n.catalogue import TEXTS

__all__ = ["LANGUAGES", "TEXTS", "pick_language", "t"]

LANGUAGES = ("id", "en")


def pick_language(code: str | None) -> str:
    """Indonesian unless the platform says the user reads English."""
    return "en" if code and code.lower().startswith("en") else "id"


def t(key: str, lang: str = "id", **params: object) -> str:
    indonesian, english = TEXTS[key]
    template = english if lang == "en" else indonesian
    return template.format(**params) if params else template
