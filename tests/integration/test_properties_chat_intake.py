"""The intake dialogue as the bot holds it (bot/chat/intake.py, a real SQLite file), for any
texts and taps a client sends (hypothesis): every input gets an answer, nothing crashes on
the way (the draft stored and loaded, the summary built and rendered as LINE messages), and
no answer given earlier is lost."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.chat.intake import PART, PARTS, Intake, Who
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.intake import CHOOSE_FIELD, FIELDS, SUMMARY
from bot.handlers.line import render
from bot.handlers.line.render import MediaUrls
from bot.media.upload import of_bytes
from storage.repositories import Repos
from tests.databases import database_for
from tests.e2e.bot_world import poster_bytes
from tests.unit.test_properties_intake import VALID, texts

taps = st.tuples(st.sampled_from(["next", "date", "slot", "notes", "edit", "send", "x"]),
                 st.one_of(st.sampled_from([*FIELDS, SUMMARY, CHOOSE_FIELD, "28-11-2026", "08.00-10.00"]),
                           st.text(max_size=40)))
valid = st.tuples(st.just("valid"), st.integers(0, 9))
inputs = st.lists(st.one_of(valid, valid, valid, st.tuples(st.just("text"), texts), taps), min_size=5,
                  max_size=40)
POSTER = poster_bytes(400, 500)


def test_no_text_or_tap_crashes_the_intake_or_loses_an_answer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intake")
    loop = asyncio.new_event_loop()
    clock = ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    configured = Settings(database=database_for(folder), flow="default")
    app = loop.run_until_complete(App.open(configured, clock))
    intake, ids = Intake(app), itertools.count(10_000)
    urls = MediaUrls("https://humas.example", app.files)

    async def answers(person_id: int) -> dict:
        async with app.db.reading() as tx:
            stored = await Repos(tx).drafts.get(person_id)
        # not answers: a long caption held while Telegram may send its rest (joined into the
        # caption, or dropped with a reason, by the next message) and a poster to replace
        transient = {"replace_media", PART, PARTS}
        return {k: v for k, v in (stored[1]["data"] if stored else {}).items() if k not in transient}

    async def question(person_id: int) -> str | None:
        async with app.db.reading() as tx:
            stored = await Repos(tx).drafts.get(person_id)
        return stored[0] if stored else None

    async def play(sequence: list[tuple]) -> None:
        who = Who(await app.people.person("telegram", next(ids), "Sari"), "id", "telegram")
        await intake.begin(who)
        for kind, value in sequence:
            event(f"reached {await question(who.person_id)}")
            before, asked = await answers(who.person_id), await question(who.person_id)
            if asked is None:
                break  # sent or cancelled: the form is over
            if kind == "valid" and asked == "media":  # a poster (then, valid again, Lanjut)
                replies = await intake.on_file(who, of_bytes(POSTER, app.files.incoming()), "p.jpg",
                                               "image/jpeg")
                if value % 2:
                    replies = await intake.on_button(who, "next", "")
            elif kind == "valid" and asked == SUMMARY:
                replies = await intake.on_button(who, "send", "")  # Kirim: a request, or what to fix
            elif kind == "valid":
                text = VALID[asked][value % len(VALID[asked])] if asked in VALID else "Seminar"
                replies = await intake.on_text(who, text)
            elif kind == "text":
                replies = await intake.on_text(who, value)
            else:
                replies = await intake.on_button(who, kind, value)
            assert replies and all(reply.text.strip() for reply in replies), (kind, value)
            for reply in replies:
                render.messages(reply, urls)  # what LINE would be sent: it renders
            after = await answers(who.person_id)
            if await question(who.person_id) is None:
                event("sent or cancelled")
                break
            changed = {k for k in before if after.get(k) != before[k]}
            assert changed <= {asked, "media"}, f"{changed} lost by {(kind, value)} at {asked}"

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(sequence=inputs)
    def run(sequence: list[tuple]) -> None:
        loop.run_until_complete(play(sequence))

    try:
        run()
    finally:
        loop.run_until_complete(app.close())
        loop.close()
