"""The notifier in a burst: several people's prompts go out side by side, each person's own
in the order they were queued; a platform's "wait" keeps that person's rest for later."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.chat.approvals import Approvals
from bot.chat.notify import Notifier, RetryLater
from bot.chat.replies import Reply
from bot.domain.request import Contact, Content, MediaRef
from storage.repositories import Outbox

COORDINATORS = (2001, 2002, 2003)


class SlowPlatform:
    """Stands in for Telegram: each send takes a moment; records what reached whom."""

    platform = "telegram"

    def __init__(self, wait_once_for: str | None = None) -> None:
        self.received: dict[str, list[str]] = {}
        self.at_once = self.most_at_once = 0
        self.wait_once_for = wait_once_for

    async def send(self, external_id: str, reply: Reply, seed: str | None = None) -> dict:
        if external_id == self.wait_once_for:
            self.wait_once_for = None
            raise RetryLater(0)
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        await asyncio.sleep(0.02)
        self.at_once -= 1
        code = next(word for word in reply.text.split() if word.startswith("PUB-"))
        self.received.setdefault(external_id, []).append(code)
        return {"chat_id": external_id, "message_id": 1}

    async def edit(self, result: dict, reply: Reply) -> None:
        pass


async def two_submissions(app) -> list[str]:
    client = await app.people.person("telegram", 1001, "Sari")
    for user_id in COORDINATORS:
        await app.people.grant("koordinator", "telegram", user_id)
    poster = MediaRef(sha256=app.files.put(b"poster"), kind="image", mime="image/jpeg", size=6)
    content = Content(title="Donor Darah", organisation="PMI Kampus", caption="Ayo donor!",
                      media=[poster], contact=Contact(name="Sari", phone="0812"),
                      publish_date=date(2026, 12, 3), slot="08.00-10.00")
    return [(await app.requests.submit(client, content, "telegram")).code for _ in range(2)]


async def pending_prompts(app) -> int:
    async with app.db.reading() as tx:
        return await tx.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'notice' AND status = 'pending'")


async def test_a_burst_goes_to_several_people_at_once_each_in_order(app):
    codes = await two_submissions(app)
    platform = SlowPlatform()
    assert await Notifier(app, Approvals(app), {"telegram": platform}).drain() == 6
    assert platform.received == {str(user_id): codes for user_id in COORDINATORS}
    assert platform.most_at_once == len(COORDINATORS)
    assert await pending_prompts(app) == 0


async def test_told_to_wait_a_person_keeps_their_order_for_the_next_pass(app):
    codes = await two_submissions(app)
    platform = SlowPlatform(wait_once_for="2002")
    notifier = Notifier(app, Approvals(app), {"telegram": platform})
    await notifier.drain()
    assert "2002" not in platform.received, "neither prompt jumped ahead of the other"
    assert platform.received["2001"] == platform.received["2003"] == codes
    assert await pending_prompts(app) == 2
    await notifier.drain()
    assert platform.received["2002"] == codes
    assert await pending_prompts(app) == 0


class CountingPlatform(SlowPlatform):
    """Records every send of a notice, to find any sent twice."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[tuple[str, str]] = []

    async def send(self, external_id: str, reply: Reply, seed: str | None = None) -> dict:
        self.sends.append((external_id, seed or ""))
        await asyncio.sleep(0)
        return {"chat_id": external_id, "message_id": len(self.sends)}


async def test_a_notice_done_while_the_outbox_is_read_is_not_sent_again(app, monkeypatch):
    """Under load the event loop may get back to a read of the outbox only after rows it saw
    pending were sent and marked meanwhile: none of them goes out twice."""
    await two_submissions(app)
    due = Outbox.due

    async def slow_to_come_back(self, *args, **kwargs):
        rows = await due(self, *args, **kwargs)
        await asyncio.sleep(0.05)  # the loop is busy; the senders finish meanwhile
        return rows

    monkeypatch.setattr(Outbox, "due", slow_to_come_back)
    platform = CountingPlatform()
    notifier = Notifier(app, Approvals(app), {"telegram": platform})
    await notifier.dispatch()  # hands the six prompts over; they go out while the next read waits
    await notifier.drain()
    assert await pending_prompts(app) == 0
    assert len(platform.sends) == len(set(platform.sends)) == 6, "a notice went out twice"


class OrderedPlatform(SlowPlatform):
    """Records the order messages reached anyone, as (person, request code)."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[tuple[str, str]] = []

    async def send(self, external_id: str, reply: Reply, seed: str | None = None) -> dict:
        result = await super().send(external_id, reply, seed)
        self.order.append((external_id, self.received[external_id][-1]))
        return result


async def test_a_holders_prompts_waiting_together_go_one_after_another(app):
    """Room for one person at a time, three holders with two prompts each waiting: each holder
    gets both back to back, rather than each prompt queueing again behind everyone else's (with
    200 requests a koordinator waited for every other person's message between two cards)."""
    codes = await two_submissions(app)
    platform = OrderedPlatform()
    assert await Notifier(app, Approvals(app), {"telegram": platform}, at_once=1).drain() == 6
    people = [person for person, _ in platform.order]
    assert people == [people[0]] * 2 + [people[2]] * 2 + [people[4]] * 2, platform.order
    assert set(people) == {str(user_id) for user_id in COORDINATORS}
    assert platform.received == {str(user_id): codes for user_id in COORDINATORS}
