"""Push-info on LINE: the real LineBroadcaster, through the real line-bot-sdk async client, against
the LINE emulator. Multicast in batches of 500 with a retry key each; retries, timeouts and a
crash reuse the key, so nobody gets a publication twice; the followers broadcast; unfollows;
the petugas's report on Telegram counts the LINE rows."""

from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import date, timedelta

import pytest
from PIL import Image
from telegram import Bot

from bot.broadcast.line import LineBroadcaster
from bot.broadcast.telegram import TelegramBroadcaster
from bot.chat.audiences import Audiences
from bot.config import Settings
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef
from bot.emulator.line import RETRY_KEY, LineCall, LineEmulator, make_user_id
from bot.emulator.telegram import TelegramEmulator
from storage.repositories import Repos
from tests.databases import database_for
from tests.e2e.line_fixtures import line_apis
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401

PUBLIC_URL = "https://humas.example.ac.id"
CAPTION = "Ayo donor darah! Aula FK, 1 Desember."


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("HUMAS_CONFIG", str(tmp_path / "absent.toml"))
    return Settings(database=database_for(tmp_path), flow="default", line_public_url=PUBLIC_URL)


@pytest.fixture
async def people(app) -> dict[str, int]:
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    for role, tg in (("koordinator", 2001), ("wakil_koordinator", 3001), ("direktur", 4001),
                     ("petugas", 5001)):
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg)
    return ids


@pytest.fixture
async def code(app, people) -> str:
    """A request approved all the way: its current step is the petugas's publish step."""
    original, stamped = jpeg((200, 30, 30)), jpeg((30, 30, 200))
    ref = MediaRef(sha256=app.files.put(original), kind="image", mime="image/jpeg", size=len(original),
                   stamped_sha256=app.files.put(stamped))
    content = Content(
        title="Donor Darah", organisation="PMI Kampus", caption=CAPTION, media=[ref],
        contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 1), slot="08.00-10.00",
    )
    state = await app.requests.submit(people["client"], content)
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, people[role], Act.APPROVE)
    return state.code


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 80), colour).save(out, "JPEG")
    return out.getvalue()


async def line_subscribers(app, server: LineEmulator, count: int, audiences=("mahasiswa",),
                           seed: str = "sub") -> list[str]:
    """`count` LINE users who follow the bot and subscribe to `audiences`."""
    ids = [make_user_id(f"{seed}{i}") for i in range(count)]
    async with app.db.transaction() as tx:
        for user_id in ids:
            await Repos(tx).subscribers.subscribe("line", user_id, None, list(audiences))
    for user_id in ids:
        server.user(user_id, "Pelanggan")
    return ids


async def rows_of(app, code: str) -> list[dict]:
    async with app.db.reading() as tx:
        repos = Repos(tx)
        return await repos.outbox.for_request(await repos.requests.id_of(code), "broadcast")


def calls(server: LineEmulator, operation: str = "multicast") -> list[LineCall]:
    return [c for c in server.calls if c.operation == operation]


def assert_once_each(server: LineEmulator, user_ids: list[str]) -> None:
    """Every user got the poster and the caption, exactly once."""
    for user_id in user_ids:
        assert [(m.type, m.text) for m in server.inbox[user_id]] == [("image", None), ("text", CAPTION)]


async def test_1234_subscribers_in_three_multicasts(app, people, code, line_server):
    users = await line_subscribers(app, line_server, 1234)
    published = await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    assert published.recipients == 1234
    async with line_apis(line_server) as (api, _):
        broadcaster = LineBroadcaster(app, api, backoff=0.01)
        assert await broadcaster.drain() == 1234
        assert await broadcaster.drain() == 0
    multicasts = calls(line_server)
    assert [len(c.body["to"]) for c in multicasts] == [500, 500, 234]
    assert [c.status for c in multicasts] == [200, 200, 200]
    keys = [c.retry_key for c in multicasts]
    assert all(key and RETRY_KEY.fullmatch(key) for key in keys) and len(set(keys)) == 3
    sent_to = [user for c in multicasts for user in c.body["to"]]
    assert sorted(sent_to) == sorted(users)
    assert_once_each(line_server, users)
    poster = line_server.inbox[users[0]][0]
    stamped = (await app.requests.get(code)).content.media[0].stamped_sha256
    assert poster["originalContentUrl"] == poster["previewImageUrl"]
    assert poster["originalContentUrl"].startswith(f"{PUBLIC_URL}/media/{stamped}?e="), "a signed address"
    call_of = {user: c for c in multicasts for user in c.body["to"]}
    rows = await rows_of(app, code)
    assert {row["status"] for row in rows} == {"sent"} and len(rows) == 1234
    for row in rows:
        call = call_of[row["recipient"].removeprefix("line:")]
        assert row["result"]["retry_key"] == call.retry_key
        assert row["result"]["request_id"] == call.request_id
    assert await app.publishing.progress(code) == {"sent": 1234}
    assert line_server.errors == []


@pytest.mark.parametrize("delivered", [True, False], ids=["answer-lost", "not-delivered"])
async def test_a_5xx_is_retried_with_the_same_key(app, people, code, line_server, delivered):
    """A 500 after LINE delivered (the answer was lost): the retry gets 409 and counts as
    delivered, nobody gets it twice. A 500 before delivery: the retry delivers."""
    users = await line_subscribers(app, line_server, 3)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.fail_next("/message/multicast", 500, deliver=delivered)
    async with line_apis(line_server) as (api, _):
        await LineBroadcaster(app, api, backoff=0.01).drain()
    first, retry = calls(line_server)
    assert first.retry_key == retry.retry_key
    assert [first.status, retry.status] == [500, 409 if delivered else 200]
    assert_once_each(line_server, users)
    rows = await rows_of(app, code)
    assert {row["status"] for row in rows} == {"sent"}
    if delivered:
        assert rows[0]["result"]["accepted_request_id"] == first.request_id
    else:
        assert rows[0]["result"]["request_id"] == retry.request_id


async def test_a_timeout_is_retried_with_the_same_key(app, people, code, line_server):
    users = await line_subscribers(app, line_server, 3)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.hang_next("/message/multicast", deliver=True)  # delivered, then no answer
    async with line_apis(line_server) as (api, _):
        await LineBroadcaster(app, api, backoff=0.01, timeout=0.3).drain()
    first, retry = calls(line_server)
    assert first.retry_key == retry.retry_key and retry.status == 409
    assert_once_each(line_server, users)
    assert {row["status"] for row in await rows_of(app, code)} == {"sent"}


@pytest.mark.parametrize("delivered", [True, False], ids=["line-had-it", "line-never-saw-it"])
async def test_a_crash_mid_batch_resumes_with_the_stored_key(app, people, code, line_server, delivered):
    users = await line_subscribers(app, line_server, 3)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.hang_next("/message/multicast", deliver=delivered)
    async with line_apis(line_server) as (api, _):
        crashed = asyncio.create_task(LineBroadcaster(app, api).drain())
        await line_server.wait_for(lambda: calls(line_server), what="the multicast")
        if delivered:
            await line_server.wait_for(lambda: all(line_server.inbox.get(u) for u in users))
        crashed.cancel()  # the process dies while LINE has the request
        with contextlib.suppress(asyncio.CancelledError):
            await crashed
    key = calls(line_server)[0].retry_key
    rows = await rows_of(app, code)
    assert {(row["status"], row["result"]["retry_key"]) for row in rows} == {("sending", key)}
    async with app.db.transaction() as tx:  # what the Telegram sender does at start
        assert await Repos(tx).broadcasts.abandon_in_flight() == 0  # LINE rows are not its own
    async with line_apis(line_server) as (api, _):  # the restarted bot
        assert await LineBroadcaster(app, api).drain() == 3
    resumed = calls(line_server)[1]
    assert resumed.retry_key == key and resumed.status == (409 if delivered else 200)
    assert_once_each(line_server, users)
    assert {row["status"] for row in await rows_of(app, code)} == {"sent"}


async def test_no_answer_waits_for_a_later_pass_then_gives_up(app, people, code, line_server, clock):
    await line_subscribers(app, line_server, 2)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.fail_next("/message/multicast", 503, times=3)
    async with line_apis(line_server) as (api, _):
        broadcaster = LineBroadcaster(app, api, backoff=0.01)
        await broadcaster.drain()
        rows = await rows_of(app, code)
        assert {row["status"] for row in rows} == {"sending"} and rows[0]["result"]["passes"] == 1
        assert await broadcaster.drain() == 0 and len(calls(line_server)) == 3  # not yet
        clock.advance(timedelta(seconds=31))
        await broadcaster.drain()
    assert [c.status for c in calls(line_server)] == [503, 503, 503, 200]
    assert len({c.retry_key for c in calls(line_server)}) == 1
    assert {row["status"] for row in await rows_of(app, code)} == {"sent"}


async def test_an_unanswered_batch_is_given_up_as_unknown(app, people, code, line_server, clock):
    await line_subscribers(app, line_server, 2)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.fail_next("/message/multicast", 500, times=6)
    async with line_apis(line_server) as (api, _):
        broadcaster = LineBroadcaster(app, api, backoff=0.01, give_up_after=timedelta(minutes=5))
        await broadcaster.drain()
        clock.advance(timedelta(minutes=6))
        await broadcaster.drain()
    rows = await rows_of(app, code)
    assert {row["status"] for row in rows} == {"unknown"}  # a 500 may have been delivered
    assert "LINE gave no answer in 2 tries: 500" in rows[0]["result"]["reason"]


async def test_a_4xx_fails_the_batch_with_the_reason(app, people, code, line_server):
    await line_subscribers(app, line_server, 2)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.fail_next("/message/multicast", 403, message="Not allowed to use this API")
    async with line_apis(line_server) as (api, _):
        await LineBroadcaster(app, api, backoff=0.01).drain()
    assert len(calls(line_server)) == 1
    rows = await rows_of(app, code)
    reasons = {(r["status"], r["result"]["reason"]) for r in rows}
    assert reasons == {("failed", "403 Not allowed to use this API")}


async def test_a_429_waits_and_retries(app, people, code, line_server):
    users = await line_subscribers(app, line_server, 2)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    line_server.fail_next("/message/multicast", 429)
    async with line_apis(line_server) as (api, _):
        await LineBroadcaster(app, api, backoff=0.01).drain()
    assert [c.status for c in calls(line_server)] == [429, 200]
    assert_once_each(line_server, users)


async def test_unfollowed_users_are_not_sent_to(app, people, code, line_server):
    audiences = Audiences(app)
    users = [make_user_id(f"f{i}") for i in range(5)]
    for user_id in users:
        line_server.user(user_id, "Teman")
        assert await audiences.follow("line", user_id, None) == list(app.flow.rules.audiences)
    assert await audiences.unfollow("line", users[0])
    line_server.users[users[0]].following = False
    published = await app.publishing.publish(code, people["petugas"], ["dosen"])
    assert published.recipients == 4
    assert await audiences.unfollow("line", users[1])  # after the publication, before sending
    line_server.users[users[1]].following = False
    async with line_apis(line_server) as (api, _):
        await LineBroadcaster(app, api).drain()
    (multicast,) = calls(line_server)
    assert sorted(multicast.body["to"]) == sorted(users[2:])
    assert_once_each(line_server, users[2:])
    assert users[0] not in line_server.inbox and users[1] not in line_server.inbox
    rows = {row["recipient"]: row for row in await rows_of(app, code)}
    assert f"line:{users[0]}" not in rows
    assert rows[f"line:{users[1]}"]["status"] == "failed"
    assert rows[f"line:{users[1]}"]["result"]["reason"] == "unfollowed the bot"


async def test_followers_broadcast_is_one_call_with_a_retry_key(app, people, code, line_server):
    for i in range(4):
        line_server.user(make_user_id(f"fan{i}"), "Fan")
    line_server.user(make_user_id("gone"), "Gone", following=False)
    await line_subscribers(app, line_server, 2, seed="also-follows")
    async with app.db.transaction() as tx:
        await Repos(tx).subscribers.subscribe("telegram", 6001, None, ["mahasiswa"])
    published = await app.publishing.publish(code, people["petugas"], ["mahasiswa"], line_followers=True)
    assert sorted(row["recipient"] for row in await rows_of(app, code)) == ["line:*", "telegram:6001"]
    assert published.recipients == 2
    async with line_apis(line_server) as (api, _):
        assert await LineBroadcaster(app, api).drain() == 1
    (broadcast,) = calls(line_server, "broadcast")
    assert broadcast.retry_key and RETRY_KEY.fullmatch(broadcast.retry_key) and broadcast.status == 200
    assert calls(line_server) == []  # no multicast
    everyone = [u.id for u in line_server.users.values() if u.following]
    assert len(everyone) == 6
    assert_once_each(line_server, everyone)
    assert make_user_id("gone") not in line_server.inbox
    rows = {row["recipient"]: row for row in await rows_of(app, code)}
    assert rows["line:*"]["status"] == "sent" and rows["telegram:6001"]["status"] == "pending"
    assert rows["line:*"]["result"]["call"] == "broadcast"


async def test_the_petugas_on_telegram_gets_one_report_counting_line(
    app, people, code, line_server, telegram_server: TelegramEmulator
):
    for user_id, name in ((6001, "Rina"), (5001, "Putri")):
        telegram_server.user(user_id, name).started = True
    async with app.db.transaction() as tx:
        await Repos(tx).subscribers.subscribe("telegram", 6001, None, ["mahasiswa"])
    users = await line_subscribers(app, line_server, 600)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    bot = Bot(telegram_server.token, base_url=telegram_server.base_url,
              base_file_url=telegram_server.base_file_url)
    async with bot, line_apis(line_server) as (api, _):
        telegram = TelegramBroadcaster(app, bot)
        nudged: list[int] = []
        line = LineBroadcaster(app, api, on_progress=nudged.append)
        assert await telegram.drain() == 1
        await telegram.progress.finish_done()  # LINE rows still pending: no report yet
        assert not [m for m in telegram_server.user(5001, "Putri").messages
                    if "Laporan penyebaran" in (m.get("text") or "")]
        assert await line.drain() == 600
        assert nudged and nudged[-1] == (await rows_of(app, code))[0]["payload"]["broadcast_id"]
        await telegram.progress.finish_done()  # what the nudge (Telegram's wake) leads to
    assert_once_each(line_server, users)
    reports = [m["text"] for m in telegram_server.user(5001, "Putri").messages
               if "Laporan penyebaran" in (m.get("text") or "")]
    final = f"✅ Laporan penyebaran {code}: 601/601 terkirim, 0 gagal, 0 tidak pasti."
    assert reports == [final]  # the progress message became the report: it appears once


async def test_a_follow_keeps_the_audiences_chosen_before(app):
    audiences = Audiences(app)
    user_id = make_user_id("picky")
    person = await app.people.person("line", user_id, "Picky")
    async with app.db.transaction() as tx:
        await Repos(tx).subscribers.subscribe("line", user_id, person, ["dosen"])
    assert await audiences.unfollow("line", user_id)
    assert not await audiences.unfollow("line", user_id)
    assert await audiences.follow("line", user_id, None) == ["dosen"]
    async with app.db.reading() as tx:
        again = await Repos(tx).subscribers.get("line", user_id)
    assert (again["active"], again["person_id"], again["audiences"]) == (1, person, ["dosen"])
