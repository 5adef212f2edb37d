"""Who receives push-info, for every platform: subscribers choosing audiences, and the
channels and groups an admin registers."""

from __future__ import annotations

from bot.app import App
from bot.chat.replies import Button, Reply
from bot.i18n import t
from storage.repositories import Repos


def subscribe_data(index: int) -> str:
    return f"s|{index}"


def decode_subscribe(data: str) -> int | None:
    parts = data.split("|")
    if len(parts) == 2 and parts[0] == "s" and parts[1].isdigit():
        return int(parts[1])
    return None


class Audiences:
    def __init__(self, app: App) -> None:
        self.app = app
        self.names = app.flow.rules.audiences

    async def menu(self, platform: str, chat_id: str | int, lang: str) -> Reply:
        chosen = await self._chosen(platform, chat_id)
        buttons = [[Button(("☑️ " if name in chosen else "⬜ ") + name, subscribe_data(i))]
                   for i, name in enumerate(self.names)]
        return Reply(t("subscribe.menu", lang, chosen=", ".join(chosen) or "-"), buttons)

    async def toggle(self, platform: str, chat_id: str | int, person_id: int | None, index: int,
                     lang: str) -> Reply:
        """Add or remove one audience; the subscription is saved at once."""
        chosen = await self._chosen(platform, chat_id)
        if 0 <= index < len(self.names):
            name = self.names[index]
            chosen = [a for a in chosen if a != name] if name in chosen else [*chosen, name]
        await self.app.subscriptions.subscribe(platform, chat_id, person_id, chosen)
        return await self.menu(platform, chat_id, lang)

    async def stop(self, platform: str, chat_id: str | int, lang: str) -> Reply:
        was = await self.app.subscriptions.stop(platform, chat_id)
        return Reply(t("subscribe.stopped" if was else "subscribe.not_subscribed", lang))

    async def follow(self, platform: str, user_id: str | int, person_id: int | None) -> list[str]:
        """A user added the bot (LINE's follow event, an unblock too): they receive push-info,
        for the audiences they chose before if they ever chose some, else for every audience.
        The audiences they now have."""
        return await self.app.subscriptions.follow(platform, user_id, person_id)

    async def unfollow(self, platform: str, user_id: str | int) -> bool:
        """A user blocked the bot (LINE's unfollow event): no more push-info. Their choice of
        audiences is kept for a later follow. True if they were subscribed."""
        return await self.app.subscriptions.stop(platform, user_id)

    async def register_target(self, platform: str, chat_id: str | int, title: str, kind: str,
                              audiences: list[str], person_id: int | None, lang: str) -> Reply:
        """A channel or group joins the push-info targets. In a group the sender must be an
        admin or hold the publishing role. A channel post names no sender (anyone who can post
        there, or who added the bot to their own channel, could send it): it waits for a role
        holder to send its code to the bot in a private chat."""
        known = [a for a in audiences if a in self.names]
        if person_id is None:
            code = await self.app.publishing.claim_target(platform, chat_id, title, kind, known)
            return Reply(t("targets.claimed", lang, title=title, code=code))
        if not self.app.publishing.may_register(await self.app.people.roles_of(person_id)):
            return Reply(t("targets.not_allowed", lang))
        await self.app.subscriptions.add_target(platform, chat_id, title, kind, known)
        shown = ", ".join(known) or t("targets.all_audiences", lang)
        return Reply(t("targets.registered", lang, title=title, audiences=shown))

    async def confirm_target(self, person_id: int, args: list[str], lang: str) -> Reply:
        """`/daftarkan KODE` in a private chat: a role holder confirms a channel's claim."""
        if not args:
            return Reply(t("targets.usage", lang))
        outcome, claim = await self.app.publishing.confirm_target(args[0], person_id)
        if outcome == "not_allowed":
            return Reply(t("targets.not_allowed", lang))
        if claim is None:
            return Reply(t("targets.bad_code", lang))
        shown = ", ".join(claim["audiences"]) or t("targets.all_audiences", lang)
        return Reply(t("targets.registered", lang, title=claim["title"], audiences=shown))

    async def _chosen(self, platform: str, chat_id: str | int) -> list[str]:
        async with self.app.db.reading() as tx:
            current = await Repos(tx).subscribers.get(platform, chat_id)
        return current["audiences"] if current and current["active"] else []
