"""The send budget shared by several workers in PostgreSQL (bot/broadcast/shared.py): who goes
first when many messages wait. Each "worker" is a SharedBudget on a connection of its own, as
each `humas-bot run` process has, all on one token's schedule, at Telegram's 30 a second.
What is asserted is what people would see: the moments messages may leave.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.broadcast.limits import Limits
from bot.broadcast.shared import SharedBudget
from storage.budget_repos import SendSlots
from storage.db import Database
from tests.databases import ON_POSTGRES, database_for

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="the budget is shared only on PostgreSQL")

STEP = 1.05 / 30  # seconds of the schedule one message takes


@pytest.fixture
async def workers(tmp_path):
    db = await Database.open(database_for(tmp_path))
    budgets = [SharedBudget(SendSlots(db.engine, "token"), Limits()) for _ in range(2)]
    yield budgets
    for budget in budgets:
        await budget.close()
    await db.close()


async def send(budget: SharedBudget, chat: str, moments: dict[str, float], *, urgent: bool = False,
               queued: float | None = None) -> None:
    taken = await budget.take(chat, False, urgent=urgent, queued=queued)
    moments[chat] = time.monotonic()
    await budget.answered(chat, False, taken)


async def test_a_reply_goes_before_the_push_info_waiting_on_both_workers(workers):
    """Both workers have push-info waiting for the budget (20 subscribers each); a person writes
    and is answered by one of them: the reply leaves before nearly all of them, as it would in
    one process, instead of after the 40 (1.4 s) the schedule had given out first. Counted in
    messages, not seconds, so that a loaded machine changes nothing."""
    moments: dict[str, float] = {}
    bulk = [asyncio.create_task(send(worker, f"{100 + 50 * w + n}", moments))
            for w, worker in enumerate(workers) for n in range(20)]
    await asyncio.sleep(0.1)  # the broadcast is going out
    await send(workers[1], "reply", moments, urgent=True)
    await asyncio.gather(*bulk)
    before = [c for c in moments if c != "reply" and moments[c] < moments["reply"]]
    assert len(before) <= 10, f"{len(before)} push-info messages went before the reply"


async def test_a_role_holders_cards_waiting_in_a_row_are_not_held_up_behind_every_new_reply(workers):
    """Both workers answer 20 people each who keep writing (each answered, then writing again:
    the schedule is always full); six cards for a koordinator were queued meanwhile, and worker
    1 sends them one after another (one chat's messages keep their order). Queued before the
    replies asked for since, each goes in worker 1's next slot: few replies go out while the six
    do, not the 40 asked for since each card before it (240 in all). Counted in messages, so
    that a loaded machine changes nothing."""
    moments: dict[str, float] = {}
    stop = time.monotonic() + 6.0

    async def person(n: int) -> None:
        turn = 0
        while time.monotonic() < stop:
            await send(workers[n % 2], f"{n}:{turn}", moments, urgent=True)
            turn += 1

    people = [asyncio.create_task(person(n)) for n in range(40)]
    await asyncio.sleep(0.5)  # the schedule is full of replies
    started = time.monotonic()
    for _ in range(6):
        await send(workers[1], "koordinator", moments, urgent=True, queued=started)
    cards = time.monotonic() - started
    meanwhile = sum(1 for c, moment in moments.items() if c != "koordinator" and started < moment
                    < moments["koordinator"])
    await asyncio.gather(*people)
    replies = len(moments) - 1
    print(f"\nsix cards in {cards:.2f} s, {meanwhile} replies meanwhile; {replies} replies in 6 s")
    assert meanwhile < 100, f"{meanwhile} replies went out while the six cards waited"
    assert replies > 6 * 25 * 0.8, "the replies still had nearly all the budget"


async def test_messages_answered_late_together_cost_the_schedule_once(workers):
    """A slow stretch (a busy machine, a network hiccup) delays ten messages in a row alike, by
    0.3 s each: the schedule leaves room for that delay about once, not once per message (which
    stalled the schedule for 2.5 s); the token keeps going at nearly its 28 a second. Asserted
    on the room the worker asked the schedule for, which a loaded machine does not change."""
    budget = workers[0]
    asked: list[float] = []
    take = budget.slots.take

    async def recorded(seconds: float, horizon: float) -> object:
        asked.append(seconds)
        return await take(seconds, horizon)

    budget.slots.take = recorded
    first = await budget.take("0", False, urgent=True)
    await budget.answered("0", False, first)  # the fastest round trip

    async def answered(chat: str, taken: float, delay: float) -> None:
        await asyncio.sleep(delay)
        await budget.answered(chat, False, taken)

    answers = []
    started = time.monotonic()
    for n in range(1, 61):
        taken = await budget.take(str(n), False, urgent=True)
        answers.append(asyncio.create_task(answered(str(n), taken, 0.3 if n <= 10 else 0.0)))
    rate = 60 / (time.monotonic() - started)
    await asyncio.gather(*answers)
    room = sum(asked) - 60 * STEP
    print(f"\n{rate:.1f} messages a second; {room:.2f} s of room made for late ones")
    assert room < 1.0, f"{room:.2f} s of the schedule left empty for ten messages 0.3 s late"
