"""The broadcast pacer against a fake monotonic clock: Telegram's three limits and the pause
a 429 asks for."""

from __future__ import annotations

import asyncio

import pytest

from bot.broadcast.limits import Limits, Pacer


class FakeMonotonic:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def pacer(clock) -> Pacer:
    return Pacer(Limits(per_second=30, group_per_minute=20, private_interval=1.0, slack=0.0), now=clock)


def send_when_allowed(pacer: Pacer, clock: FakeMonotonic, chat: str, is_group: bool) -> float:
    """What the sender does: wait as told, then send. The moment it sent."""
    clock.advance(pacer.wait(chat, is_group))
    assert pacer.wait(chat, is_group) == 0
    pacer.sent(chat, is_group)
    return clock.now


def test_a_fresh_pacer_never_waits(pacer):
    assert pacer.wait("100", is_group=False) == 0
    assert pacer.wait("-100", is_group=True) == 0


def test_thirty_a_second_overall_then_the_31st_waits_for_the_window(pacer, clock):
    for i in range(30):
        assert pacer.wait(str(i), is_group=False) == 0
        pacer.sent(str(i), is_group=False)
        clock.advance(1 / 64)  # 30 messages in under half a second (steps exact in binary)
    # the first went out 30/64 s ago: the window frees in 34/64 s, for a new chat as well
    assert pacer.wait("new", is_group=False) == 34 / 64
    assert pacer.wait("-500", is_group=True) == 34 / 64
    clock.advance(34 / 64)
    assert pacer.wait("new", is_group=False) == 0


def test_overall_rate_is_kept_over_many_messages(pacer, clock):
    start = clock.now
    moments = [send_when_allowed(pacer, clock, str(i), is_group=False) for i in range(95)]
    for i in range(30, 95):  # no 1-second window ever holds more than 30
        assert moments[i] - moments[i - 30] >= 1.0 - 1e-9
    assert clock.now - start == pytest.approx(3.0)  # 95 messages: 4 windows of 30, 30, 30, 5


def test_twenty_a_minute_to_one_group_and_others_are_not_held_up(pacer, clock):
    for _ in range(20):
        assert pacer.wait("-1001", is_group=True) == 0
        pacer.sent("-1001", is_group=True)
        clock.advance(1.5)  # 20 messages over 30 s: the overall limit never bites
    assert pacer.wait("-1001", is_group=True) == pytest.approx(30.0)
    assert pacer.wait("-1002", is_group=True) == 0  # another group
    assert pacer.wait("7", is_group=False) == 0  # a private chat
    clock.advance(29.9)
    assert pacer.wait("-1001", is_group=True) == pytest.approx(0.1)
    clock.advance(0.1)
    assert pacer.wait("-1001", is_group=True) == 0
    pacer.sent("-1001", is_group=True)
    # the second message of the first minute went out at +1.5 s: the 22nd waits for it
    assert pacer.wait("-1001", is_group=True) == pytest.approx(1.5)


def test_one_a_second_to_one_private_chat(pacer, clock):
    pacer.sent("42", is_group=False)
    clock.advance(0.25)
    assert pacer.wait("42", is_group=False) == pytest.approx(0.75)
    assert pacer.wait("43", is_group=False) == 0
    clock.advance(0.75)
    assert pacer.wait("42", is_group=False) == 0
    moments = [send_when_allowed(pacer, clock, "42", is_group=False) for _ in range(5)]
    assert [round(b - a, 6) for a, b in zip(moments, moments[1:], strict=False)] == [1.0] * 4


def test_a_private_chat_and_a_group_with_the_same_digits_are_paced_apart(pacer, clock):
    pacer.sent("5", is_group=False)
    assert pacer.wait("5", is_group=True) == 0  # a group has no one-a-second rule


def test_after_a_429_nothing_goes_out_until_the_pause_ends(pacer, clock):
    pacer.pause(3)
    for chat, group in (("1", False), ("2", False), ("-100", True)):
        assert pacer.wait(chat, group) == pytest.approx(3.0)
    clock.advance(2)
    assert pacer.wait("1", is_group=False) == pytest.approx(1.0)
    clock.advance(1)
    assert pacer.wait("1", is_group=False) == 0


def test_a_shorter_pause_does_not_cut_a_longer_one_short(pacer, clock):
    pacer.pause(5)
    clock.advance(1)
    pacer.pause(1)  # a second 429 asking for less
    assert pacer.wait("1", is_group=False) == pytest.approx(4.0)
    pacer.pause(10)  # and one asking for more
    assert pacer.wait("1", is_group=False) == pytest.approx(10.0)


def test_the_pause_and_the_chat_limit_add_up_to_the_longer_of_the_two(pacer, clock):
    pacer.sent("9", is_group=False)
    pacer.pause(0.4)
    assert pacer.wait("9", is_group=False) == pytest.approx(1.0)  # the chat's own second is longer
    pacer.pause(2)
    assert pacer.wait("9", is_group=False) == pytest.approx(2.0)


# The budget shared by every sender of a token: async waits, priority, albums, 429s ----------


@pytest.fixture
def fast_sleep(monkeypatch, clock):
    """asyncio.sleep in the budget moves the fake clock instead of waiting."""
    import bot.broadcast.limits as limits

    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        clock.advance(max(seconds, 0.0))
        await real_sleep(0)

    monkeypatch.setattr(limits.asyncio, "sleep", sleep)


async def test_take_waits_for_room_and_counts_the_message_from_then(pacer, clock, fast_sleep):
    for i in range(30):
        await pacer.take(str(i), False)
    taken = await pacer.take("31", False)
    assert taken == clock.now == pytest.approx(1000.0 + 1.0)  # the window of the first 30 passed


async def test_an_urgent_send_goes_before_the_bulk_ones_waiting_with_it():
    pacer = Pacer(Limits(per_second=2, slack=0.0))  # the real clock: about a second
    pacer.sent("1", False)
    pacer.sent("2", False)
    order: list[str] = []

    async def send(name: str, urgent: bool) -> None:
        await pacer.take(name, False, urgent=urgent)
        order.append(name)

    bulk = [asyncio.create_task(send(name, False)) for name in ("a", "b")]
    await asyncio.sleep(0.05)  # both wait for the window when the reply comes
    await asyncio.gather(send("reply", True), *bulk)
    assert order[0] == "reply"


async def test_a_reply_may_follow_a_reply_at_once_a_bulk_send_waits_its_second(pacer, clock, fast_sleep):
    await pacer.take("42", False, urgent=True)
    assert await pacer.take("42", False, urgent=True) == 1000.0  # a reply of two messages
    assert await pacer.take("42", False) == pytest.approx(1001.0)  # push-info: one a second


def test_an_album_counts_each_of_its_media(pacer, clock):
    pacer.sent("1", False, count=10)
    assert pacer.wait("2", False, count=20) == 0
    assert pacer.wait("2", False, count=21) == pytest.approx(1.0)


async def test_a_late_answer_counts_the_message_from_when_it_arrived(clock):
    pacer = Pacer(Limits(per_second=2, slack=0.0), now=clock)
    first = pacer.sent("1", False)
    clock.advance(0.1)
    await pacer.answered("1", False, first)  # nothing to compare with: counted from its answer
    second = pacer.sent("2", False)
    clock.advance(0.1)
    await pacer.answered("2", False, second)  # as fast: counted from when it left
    assert pacer.wait("x", False) == pytest.approx(1000.1 + 1.0 - 1000.2)
    clock.now = 1002.0
    slow = pacer.sent("3", False)
    clock.advance(0.4)
    await pacer.answered("3", False, slow)  # 0.3 s slower than the fastest: it arrived late
    pacer.sent("4", False)
    assert pacer.wait("x", False) == pytest.approx(1002.3 + 1.0 - 1002.4)  # not 1003.0 - 1002.4


async def test_a_429_in_a_chat_that_just_had_a_message_pauses_that_chat_only(pacer, clock):
    pacer.sent("-100", True)  # the bot answered in the group a moment ago
    clock.advance(0.5)
    taken = pacer.sent("-100", True)
    assert await pacer.refused("-100", True, 30, taken) is False
    assert pacer.wait("-100", True) == pytest.approx(30)
    assert pacer.wait("7", False) == 0 and pacer.wait("-200", True) == 0


async def test_a_429_for_a_chat_with_nothing_lately_pauses_every_chat(pacer, clock):
    taken = pacer.sent("9", False)
    assert await pacer.refused("9", False, 2, taken) is True
    assert pacer.wait("7", False) == pytest.approx(2) and pacer.wait("-200", True) == pytest.approx(2)


async def test_429s_from_three_chats_within_a_second_pause_every_chat(pacer, clock):
    for chat in ("1", "2"):
        pacer.sent(chat, False)
    clock.advance(0.5)
    outcomes = []
    for chat in ("1", "2", "-300"):
        pacer.sent("-300", True) if chat == "-300" else None
        taken = pacer.sent(chat, chat.startswith("-"))
        outcomes.append(await pacer.refused(chat, chat.startswith("-"), 1, taken, 1))
        clock.advance(0.1)
    assert outcomes == [False, False, True]
    assert pacer.wait("77", False) > 0


async def test_a_refused_message_does_not_count(pacer, clock):
    for i in range(29):
        pacer.sent(str(i), False)
    taken = pacer.sent("x", False)
    assert pacer.wait("y", False) > 0
    await pacer.refused("x", False, 0, taken)
    assert pacer.wait("y", False) == 0
