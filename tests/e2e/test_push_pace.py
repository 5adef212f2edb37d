"""Push-info at the platform's pace, over real HTTP against the Telegram emulator: the real
TelegramBroadcaster and the real python-telegram-bot Bot. Transient failures (a 500, a
timeout) are retried and the report says which deliveries may have arrived twice; a 429 for
one chat delays that chat, one the chat cannot explain delays everyone; several sends in
flight keep every limit, as the emulator's own timestamps show; the counters the progress
message reads follow every delivery."""

from __future__ import annotations

import io
from collections import Counter
from contextlib import asynccontextmanager
from datetime import date

import pytest
from PIL import Image
from telegram import Bot

from bot.broadcast.limits import Limits, Pacer
from bot.broadcast.telegram import TelegramBroadcaster
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.emulator.telegram import RateLimits, TelegramEmulator
from bot.handlers.telegram.transport import AiohttpRequest
from storage.repositories import Repos
from tests.e2e.bot_world import expect, submit
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401
from tests.e2e.test_push_info import approve_to_publish, choose_audiences, final_report

PETUGAS = 5001
CAPTION = "Ayo donor darah! Aula FK, 1 Desember."
TWICE = "Terkirim setelah Telegram sempat tidak menjawab (mungkin diterima dua kali):"


@pytest.fixture
async def people(app) -> dict[str, int]:
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    for role, tg in (("koordinator", 2001), ("wakil_koordinator", 3001), ("direktur", 4001),
                     ("petugas", PETUGAS)):
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    return ids


async def approved(app, people: dict[str, int], title: str = "Donor Darah") -> str:
    """A request approved all the way: its current step is the petugas's publish step."""
    out = io.BytesIO()
    Image.new("RGB", (64, 80), (200, 30, len(title))).save(out, "JPEG")
    data = out.getvalue()
    ref = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data))
    content = Content(title=title, organisation="PMI Kampus", caption=CAPTION, media=[ref],
                      contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 1),
                      slot="08.00-10.00")
    state = await app.requests.submit(people["client"], content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, people[role], Act.APPROVE)
    return state.code


async def audience(app, server: TelegramEmulator, subscribers: list[int], groups: list[int] = ()) -> None:
    """Subscribers of 'mahasiswa' who have started the bot, and groups that have it."""
    async with app.db.transaction() as tx:
        repos = Repos(tx)
        for chat_id in subscribers:
            await repos.subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
        for chat_id in groups:
            await repos.targets.add("telegram", chat_id, f"Grup {chat_id}", "group", ["mahasiswa"])
    for user_id in [*subscribers, PETUGAS]:
        server.user(user_id, f"U{user_id}").started = True
    for chat_id in groups:
        server.group(chat_id, f"Grup {chat_id}").add_bot()


@asynccontextmanager
async def sender(app, server: TelegramEmulator, limits: Limits | None = None, read_timeout: float = 5.0,
                 **options):
    request = AiohttpRequest(read_timeout=read_timeout, media_write_timeout=read_timeout)
    bot = Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url, request=request)
    async with bot:
        yield TelegramBroadcaster(app, bot, Pacer(limits or Limits()), **{"backoff": 0.01, **options})


async def broadcast(broadcaster: TelegramBroadcaster) -> None:
    """What the running sender does: every due delivery, then the report."""
    while await broadcaster.drain():
        pass
    await broadcaster.progress.finish_done()


async def rows_of(app, code: str) -> dict[str, dict]:
    async with app.db.reading() as tx:
        repos = Repos(tx)
        rows = await repos.broadcasts.deliveries(await repos.requests.id_of(code))
    return {row["recipient"]: row for row in rows}


def report_of(server: TelegramEmulator, code: str) -> str:
    texts = [m.get("text", "") for m in server.users[PETUGAS].messages]
    return next(text for text in reversed(texts) if f"Laporan penyebaran {code}" in text)


def accepted_to(server: TelegramEmulator, chat_id: int) -> list[float]:
    return [a.at for a in server.accepted if a.chat_id == chat_id]


# 1. Transient failures -----------------------------------------------------------------------


async def test_a_500_is_retried_and_the_report_says_it_may_have_arrived_twice(
    app, people, telegram_server: TelegramEmulator
):
    subscribers = [6001, 6002, 6003]
    await audience(app, telegram_server, subscribers)
    code = await approved(app, people)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    telegram_server.fail_next("sendPhoto", 500, "Internal Server Error", chat_id=6002)
    async with sender(app, telegram_server) as broadcaster:
        await broadcast(broadcaster)
    assert [telegram_server.delivered[c] for c in subscribers] == [1, 1, 1]
    assert [e["error_code"] for e in telegram_server.errors] == [500]
    rows = await rows_of(app, code)
    assert {r: row["status"] for r, row in rows.items()} == dict.fromkeys(
        [f"telegram:{c}" for c in subscribers], "sent")
    retried = rows["telegram:6002"]["result"]
    assert (retried["tries"], retried["maybe_twice"]) == (1, True)
    assert "Internal Server Error" in retried["last"]
    assert "maybe_twice" not in rows["telegram:6001"]["result"]
    report = report_of(telegram_server, code)
    assert f"{code}: 3/3 terkirim, 0 gagal, 0 tidak pasti." in report
    assert f"{TWICE}\n• telegram:6002: network: Internal Server Error" in report


@pytest.mark.parametrize("delivered", [True, False], ids=["answer-lost", "request-lost"])
async def test_a_timeout_is_retried_and_a_possible_duplicate_is_reported(
    app, people, telegram_server: TelegramEmulator, delivered: bool
):
    """Telegram has no idempotency key: after a read timeout nobody knows whether the post
    arrived. The office prefers a rare duplicate to a missed subscriber: it is sent again, and
    the report names the subscriber who may have it twice."""
    subscribers = [6001, 6002, 6003]
    await audience(app, telegram_server, subscribers)
    code = await approved(app, people)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    telegram_server.hang_next("sendPhoto", chat_id=6003, deliver=delivered)
    async with sender(app, telegram_server, read_timeout=0.5) as broadcaster:
        await broadcast(broadcaster)
    assert telegram_server.delivered[6003] == (2 if delivered else 1)
    assert [telegram_server.delivered[c] for c in (6001, 6002)] == [1, 1]
    row = (await rows_of(app, code))["telegram:6003"]
    assert row["status"] == "sent" and row["result"]["maybe_twice"] is True
    assert "Timed out" in row["result"]["last"]
    report = report_of(telegram_server, code)
    assert f"{code}: 3/3 terkirim, 0 gagal, 0 tidak pasti." in report
    assert f"{TWICE}\n• telegram:6003: network: Timed out" in report


async def test_transient_failures_are_bounded_then_the_delivery_fails_with_the_reason(
    app, people, telegram_server: TelegramEmulator
):
    await audience(app, telegram_server, [6001, 6002])
    code = await approved(app, people)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    telegram_server.fail_next("sendPhoto", 502, "Bad Gateway", times=10, chat_id=6002)
    async with sender(app, telegram_server, tries=3) as broadcaster:
        await broadcast(broadcaster)
    tried = [c for c in telegram_server.calls if c.method == "sendPhoto" and c.params["chat_id"] == 6002]
    assert len(tried) == 3 and telegram_server.delivered[6002] == 0
    row = (await rows_of(app, code))["telegram:6002"]
    reason = "no answer after 3 tries, last: network: Bad Gateway (Telegram may have received one of them)"
    assert (row["status"], row["result"]["reason"]) == ("failed", reason)
    report = report_of(telegram_server, code)
    assert f"{code}: 1/2 terkirim, 1 gagal, 0 tidak pasti." in report
    assert f"Gagal:\n• telegram:6002: {reason}" in report


# 2. Flood control: one chat's 429, everyone's 429 -------------------------------------------


async def test_a_429_a_chat_can_explain_delays_that_chat_only(app, people, telegram_server: TelegramEmulator):
    """The group had a message from the bot a moment ago (its own limit may be what Telegram
    enforces): its 429 keeps it waiting, the subscribers go on meanwhile."""
    subscribers = list(range(6001, 6031))
    group = -1002001
    await audience(app, telegram_server, subscribers, [group])
    code = await approved(app, people)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    telegram_server.limits = RateLimits(per_second=10)
    telegram_server.fail_next("sendPhoto", 429, "Too Many Requests: retry after 2", retry_after=2,
                              chat_id=group)
    async with sender(app, telegram_server, Limits(per_second=10)) as broadcaster:
        await broadcaster.budget.take(str(group), True)  # the bot's reply there, just before
        await broadcast(broadcaster)
    (refused,) = [e["at"] for e in telegram_server.errors if e["error_code"] == 429]
    meanwhile = [a for a in telegram_server.accepted if refused < a.at < refused + 2 and a.chat_id != group]
    assert len(meanwhile) >= 5  # others went on while the group waited
    (then,) = accepted_to(telegram_server, group)
    assert then >= refused + 2 - 0.05  # the group waited as long as Telegram asked
    assert all(telegram_server.delivered[c] == 1 for c in [*subscribers, group])


async def test_a_429_the_chat_cannot_explain_pauses_every_chat(app, people, telegram_server):
    """A subscriber the bot has not written to lately cannot have hit their own limit: the 429
    is the overall one, and nothing goes out, to anyone, until it has passed."""
    subscribers = list(range(6001, 6021))
    await audience(app, telegram_server, subscribers)
    code = await approved(app, people)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    telegram_server.fail_next("sendPhoto", 429, "Too Many Requests: retry after 2", retry_after=2,
                              chat_id=6005)
    async with sender(app, telegram_server) as broadcaster:
        await broadcast(broadcaster)
    (refused,) = [e["at"] for e in telegram_server.errors if e["error_code"] == 429]
    # sends already on the way when the 429 came may still land a moment after it
    paused = [a for a in telegram_server.accepted if refused + 0.5 < a.at < refused + 2 - 0.05]
    assert paused == []
    assert min(a.at for a in telegram_server.accepted if a.at > refused + 0.5) >= refused + 2 - 0.05
    assert all(telegram_server.delivered[c] == 1 for c in subscribers)


# 3. Several in flight, every limit kept -------------------------------------------------------


def busiest(moments: list[float], span: float) -> int:
    """The most of `moments` inside any window of `span` seconds (as the emulator counts)."""
    moments = sorted(moments)
    most, start = 0, 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - span:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_several_sends_in_flight_keep_every_limit(app, people, telegram_server: TelegramEmulator):
    """Two publications at once to 12 subscribers and 2 groups, with a 0.3 s round trip:
    the sender keeps several sends out together, and no second holds more than the overall
    limit, no group window more than the group's, no private second more than one."""
    subscribers, groups = list(range(6001, 6013)), [-1002001, -1002002]
    await audience(app, telegram_server, subscribers, groups)
    codes = [await approved(app, people, title) for title in ("Donor Darah", "Seminar")]
    for code in codes:
        await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    emulated = RateLimits(per_second=8, group_per_minute=1, group_window=2.0)
    telegram_server.limits, telegram_server.latency = emulated, 0.3
    limits = Limits(per_second=8, group_per_minute=1, group_window=2.0)
    async with sender(app, telegram_server, limits) as broadcaster:
        await broadcast(broadcaster)
    assert [e for e in telegram_server.errors if e["error_code"] == 429] == []
    assert telegram_server.sends_in_flight_peak >= 3
    assert busiest([a.at for a in telegram_server.accepted for _ in range(a.count)], 1.0) <= 8
    for group in groups:
        assert busiest(accepted_to(telegram_server, group), 2.0) <= 1
    for chat in subscribers:
        assert busiest(accepted_to(telegram_server, chat), 1.0) <= 1
    assert all(telegram_server.delivered[c] == 2 for c in [*subscribers, *groups])
    for code in codes:
        assert f"{code}: 14/14 terkirim, 0 gagal, 0 tidak pasti." in report_of(telegram_server, code)


# 4. The counters the progress message reads ---------------------------------------------------


async def test_the_broadcast_counts_its_deliveries_as_they_go(app, people, telegram_server: TelegramEmulator):
    await audience(app, telegram_server, [6001, 6002, 6003])
    telegram_server.block(6003)
    code = await approved(app, people)
    published = await app.publishing.publish(code, people["petugas"], ["mahasiswa"])

    async def tally() -> dict[str, int]:
        async with app.db.reading() as tx:
            return await Repos(tx).broadcasts.tally(published.broadcast_id)

    assert await tally() == {"pending": 3}
    async with sender(app, telegram_server) as broadcaster:
        await broadcast(broadcaster)
    assert await tally() == {"sent": 2, "failed": 1}
    assert await app.publishing.progress(code) == {"sent": 2, "failed": 1}  # the outbox agrees
    assert Counter(row["status"] for row in (await rows_of(app, code)).values()) == {"sent": 2, "failed": 1}


# 5. One budget per token: replies and push-info together --------------------------------------


async def test_replies_during_a_broadcast_count_against_the_same_budget(world):
    """While push-info goes out at the full 30 a second, ten people write to the bot and are
    answered: replies and posts together never go over Telegram's 30 in any second (the
    emulator would refuse the 31st), and the replies are not held up behind the posts."""
    server, app = world.server, world.app
    subscribers = list(range(7001, 7091))
    async with app.db.transaction() as tx:
        for chat_id in subscribers:
            await Repos(tx).subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])
    for chat_id in subscribers:
        server.user(chat_id, f"Mhs{chat_id}").started = True
    askers = [server.user(8001 + i, f"Tamu{i}", language_code="id") for i in range(10)]
    code = await submit(world)
    card = await approve_to_publish(world, code)
    await choose_audiences(world, card, "mahasiswa")
    server.limits = RateLimits(per_second=30, private_per_second=100)  # the overall limit is tested here
    since = len(server.accepted)
    await world["petugas"].tap(card, "📢 Sebarkan sekarang")
    await server.wait_for(lambda: sum(server.delivered[c] for c in subscribers) >= 20, timeout=10)
    for asker in askers:
        await asker.send("/status")
    for asker in askers:
        await expect(asker, "Anda belum punya permohonan", timeout=10)
    await final_report(world, code, timeout=30)
    assert [e for e in server.errors if e["error_code"] == 429] == []
    window = [a.at for a in server.accepted[since:] for _ in range(a.count)]
    assert busiest(window, 1.0) <= 30
    assert all(server.delivered[c] == 1 for c in subscribers)
