"""The broadcast pacer against a fake monotonic clock: Telegram's three limits and the pause
a 429 asks for."""

from __future__ import annotations

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
