"""One person on Telegram and LINE: a one-time code moves an account (and what its person had)
onto the code's person in one transaction; notices then go where the person prefers."""

from __future__ import annotations

from datetime import date, timedelta

from bot.chat.approvals import Approvals
from bot.chat.notify import Notifier
from bot.domain.request import Contact, Content, MediaRef
from storage.repositories import Repos

LINE_ID = "U" + "1" * 32


def content(app) -> Content:
    poster = MediaRef(sha256=app.files.put(b"poster"), kind="image", mime="image/jpeg", size=6)
    return Content(title="Donor Darah", organisation="PMI Kampus", caption="Ayo donor!", media=[poster],
                   contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 1),
                   slot="08.00-10.00")


async def test_a_code_moves_the_account_with_its_requests_roles_and_draft(app, clock):
    telegram = await app.people.person("telegram", 1001, "Budi")
    await app.people.grant("koordinator", "telegram", 1001)
    line = await app.people.person("line", LINE_ID, "Budi L")
    await app.people.grant("petugas", "line", LINE_ID)
    await app.people.grant("koordinator", "line", LINE_ID)
    state = await app.requests.submit(line, content(app), "line")
    async with app.db.transaction() as tx:
        await Repos(tx).drafts.save(line, "line", "caption", {"data": {"title": "Bazar"}})

    code = await app.people.link_code(telegram, "telegram", clock.now())
    linked = await app.people.link(code.lower(), "line", LINE_ID, clock.now())

    assert (linked.outcome, linked.person_id, set(linked.platforms)) == ("linked", telegram,
                                                                         {"telegram", "line"})
    async with app.db.reading() as tx:
        repos = Repos(tx)
        assert await repos.people.find("line", LINE_ID) == telegram
        assert await repos.roles.of(telegram) == {"koordinator", "petugas"}
        assert await repos.roles.of(line) == set()
        assert (await repos.requests.get(state.code)).requester_id == telegram
        assert await repos.drafts.get(telegram) == ("caption", {"data": {"title": "Bazar"}})
        prompts = await repos.outbox.for_request(await repos.requests.id_of(state.code), "notice")
    assert str(line) not in {row["recipient"] for row in prompts}
    # once only
    again = await app.people.link(code, "line", LINE_ID, clock.now())
    assert again.outcome == "bad_code"


async def test_a_code_expires_and_a_clash_is_refused_without_using_the_code(app, clock):
    budi = await app.people.person("telegram", 1001, "Budi")
    await app.people.person("line", LINE_ID, "Budi L")
    old = await app.people.link_code(budi, "telegram", clock.now() - timedelta(minutes=16))
    assert (await app.people.link(old, "line", LINE_ID, clock.now())).outcome == "bad_code"

    other = await app.people.person("telegram", 2002, "Bayu")  # a second Telegram account
    code = await app.people.link_code(budi, "telegram", clock.now())
    clash = await app.people.link(code, "telegram", 2002, clock.now())
    assert (clash.outcome, clash.conflict) == ("conflict", "telegram")
    async with app.db.reading() as tx:
        assert await Repos(tx).people.find("telegram", 2002) == other
    assert (await app.people.link(code, "line", LINE_ID, clock.now())).outcome == "linked"


async def test_notices_go_to_the_preferred_platform(app, clock):
    budi = await app.people.person("telegram", 1001, "Budi")
    await app.people.person("line", LINE_ID, "Budi L")
    code = await app.people.link_code(budi, "telegram", clock.now())
    await app.people.link(code, "line", LINE_ID, clock.now())
    notifier = Notifier(app, Approvals(app), {"telegram": object(), "line": object()})
    assert (await notifier.address(budi))[:2] == ("telegram", "1001")
    assert await app.people.prefer(budi, "line")
    assert (await notifier.address(budi))[:2] == ("line", LINE_ID)
    assert not await app.people.prefer(await app.people.person("telegram", 3003), "line")
