"""A command the bot does not know gets a short list of those it does (instead of silence,
which reads as a bot that is down), then the question of a form in progress, if any."""

from __future__ import annotations

import re

from bot.chat.intake import Intake, Who
from bot.chat.replies import Reply
from bot.i18n import t

COMMAND = re.compile(r"/[A-Za-z][A-Za-z0-9_]*(@\w+)?")


def looks_like_command(text: str) -> bool:
    """`/something` as the first word: what Telegram marks as a bot command."""
    words = text.split()
    return bool(words) and COMMAND.fullmatch(words[0]) is not None


async def unknown_command(intake: Intake, who: Who, text: str) -> list[Reply]:
    name = text.split()[0].split("@")[0][:32] if text.split() else "/"
    return [Reply(t("help.unknown", who.lang, command=name)), *await intake.current(who)]
