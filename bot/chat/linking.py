"""One person on several platforms, for every adapter: `/tautkan` gives a one-time code,
`/tautkan KODE` on the other platform links that account to the code's person, and `/utama`
chooses where notices go first."""

from __future__ import annotations

from bot.app import App
from bot.chat.cards import local
from bot.chat.intake import Who
from bot.chat.replies import Reply
from bot.i18n import t
from bot.services.people import LINK_CODE_LIFETIME, PLATFORMS
from storage.repositories import Repos

NAMES = {"telegram": "Telegram", "line": "LINE"}


def platform_name(platform: str) -> str:
    return NAMES.get(platform, platform)


class Linking:
    def __init__(self, app: App) -> None:
        self.app = app

    async def command(self, who: Who, external_id: str | int, args: list[str]) -> Reply:
        """/tautkan: a code; /tautkan KODE: link this account to the code's person."""
        if not args:
            return await self.code(who)
        return await self.link(who, external_id, args[0])

    async def code(self, who: Who) -> Reply:
        code = await self.app.people.link_code(who.person_id, who.platform, self.app.clock.now())
        others = [platform_name(p) for p in PLATFORMS if p != who.platform]
        minutes = int(LINK_CODE_LIFETIME.total_seconds() // 60)
        return Reply(t("link.code", who.lang, code=code, other=" / ".join(others), minutes=minutes))

    async def link(self, who: Who, external_id: str | int, code: str) -> Reply:
        linked = await self.app.people.link(code, who.platform, external_id, self.app.clock.now())
        platforms = ", ".join(platform_name(p) for p in PLATFORMS if p in linked.platforms)
        if linked.outcome == "blocked":
            return Reply(t("codes.wait", who.lang, when=self._local(linked.until)))
        if linked.outcome == "bad_code":
            slowed = f" {t('codes.slowed', who.lang, when=self._local(linked.until))}" if linked.until else ""
            return Reply(t("link.bad_code", who.lang) + slowed)
        if linked.outcome == "conflict":
            return Reply(t("link.conflict", who.lang, platform=platform_name(linked.conflict)))
        if linked.outcome == "same":
            return Reply(t("link.same", who.lang, platforms=platforms))
        async with self.app.db.reading() as tx:
            person = await Repos(tx).people.get(linked.person_id)
        lang = person["language"]
        preferred = platform_name(person["preferred_platform"] or who.platform)
        return Reply(t("link.linked", lang, platforms=platforms, preferred=preferred))

    def _local(self, moment) -> str:
        return local(moment, self.app.settings.zone) if moment is not None else "-"

    async def prefer(self, who: Who, args: list[str]) -> Reply:
        """/utama: notices go to this platform; /utama line|telegram: to that one."""
        platform = args[0].lower() if args else who.platform
        if platform not in PLATFORMS:
            return Reply(t("preferred.usage", who.lang))
        if not await self.app.people.prefer(who.person_id, platform):
            return Reply(t("preferred.no_account", who.lang, platform=platform_name(platform)))
        return Reply(t("preferred.set", who.lang, platform=platform_name(platform)))
