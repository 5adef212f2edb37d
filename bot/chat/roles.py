"""Roles in chat, for every platform: `/gabung KODE` takes a role with an invite code (wrong
codes are slowed down per person), `/peran` lists the roles held."""

from __future__ import annotations

from datetime import datetime

from bot.app import App
from bot.chat.cards import local
from bot.chat.intake import Who
from bot.chat.replies import Reply
from bot.i18n import t


class Roles:
    def __init__(self, app: App) -> None:
        self.app = app

    async def join(self, who: Who, args: list[str]) -> Reply:
        if not args:
            return Reply(t("roles.usage", who.lang))
        redeemed = await self.app.people.redeem(args[0], who.person_id, self.app.clock.now())
        if redeemed.outcome == "joined":
            return Reply(t("roles.joined", who.lang, role=self.app.flow.role_name(redeemed.role, who.lang)))
        if redeemed.outcome == "blocked":
            return Reply(t("codes.wait", who.lang, when=self.local(redeemed.until)))
        wrong = t("roles.bad_code", who.lang)
        if redeemed.until is not None:  # that was one too many: the next try waits
            wrong += " " + t("codes.slowed", who.lang, when=self.local(redeemed.until))
        return Reply(wrong)

    async def held(self, who: Who) -> Reply:
        held = sorted(await self.app.people.roles_of(who.person_id))
        names = ", ".join(f"{self.app.flow.role_name(r, who.lang)} [{r}]" for r in held)
        return Reply(t("roles.list", who.lang, roles=names) if held else t("roles.none", who.lang))

    def local(self, moment: datetime | None) -> str:
        return local(moment, self.app.settings.zone) if moment is not None else "-"
