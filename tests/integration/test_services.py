"""Services on a real database: who gets told what, and authority read at the press."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.engine import Act, Refused
from bot.domain.request import Contact, Content, MediaRef, Status
from bot.services.requests import RuleViolations
from storage.repositories import Repos


@pytest.fixture
async def people(app):
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    for role, tg in (("koordinator", 2001), ("koordinator", 2002), ("wakil_koordinator", 3001),
                     ("direktur", 4001), ("petugas", 5001)):
        await app.people.grant(role, "telegram", tg)
        ids.setdefault(role, await app.people.person("telegram", tg))
    return ids


def request_content(app) -> Content:
    sha = app.files.put(b"poster")
    return Content(
        title="Donor Darah", organisation="PMI Kampus", caption="Ayo donor!",
        media=[MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=6)],
        contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 1), slot="08.00-10.00",
    )


async def notices(app, code: str) -> list[tuple[str, str]]:
    async with app.db.reading() as tx:
        repos = Repos(tx)
        request_id = await repos.requests.id_of(code)
        rows = await repos.outbox.for_request(request_id, "notice")
    return [(row["recipient"], row["payload"]["kind"]) for row in rows]


async def test_submission_prompts_every_holder_of_the_first_role(app, people):
    state = await app.requests.submit(people["client"], request_content(app))
    holders = [str(await app.people.person("telegram", tg)) for tg in (2001, 2002)]
    assert await notices(app, state.code) == [(holders[0], "prompt"), (holders[1], "prompt")]


async def test_full_default_chain_to_done(app, people):
    state = await app.requests.submit(people["client"], request_content(app))
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, people[role], Act.APPROVE)
    await app.requests.record_publication(state.code, people["petugas"], note="t.me/humas/12")
    outcome = await app.requests.archive(state.code, people["petugas"])
    assert outcome.state.status == Status.DONE
    told = [kind for recipient, kind in await notices(app, state.code) if recipient == str(people["client"])]
    assert told.count("decision") == 5 and told[-1] == "closed"


async def test_revoked_role_is_refused_at_the_press(app, people):
    state = await app.requests.submit(people["client"], request_content(app))
    await app.people.revoke("koordinator", "telegram", 2001)
    with pytest.raises(Refused) as refused:
        await app.requests.decide(state.code, people["koordinator"], Act.APPROVE)
    assert refused.value.reason == "no_role"


async def test_rule_violations_store_nothing(app, people):
    late = request_content(app).model_copy(update={"publish_date": date(2026, 11, 26)})
    with pytest.raises(RuleViolations) as error:
        await app.requests.submit(people["client"], late)
    assert [v.rule for v in error.value.violations] == ["lead_time"]
    assert error.value.violations[0].nearest == "27-11-2026"
    assert await app.requests.mine(people["client"]) == []


async def test_queue_lists_what_waits_for_my_roles(app, people):
    state = await app.requests.submit(people["client"], request_content(app))
    assert [r.code for r in await app.requests.waiting_for(people["koordinator"])] == [state.code]
    assert await app.requests.waiting_for(people["direktur"]) == []


async def test_invite_grants_its_role_once(app, clock):
    code = await app.people.invite("petugas", clock.now())
    person = await app.people.person("telegram", 7001, "Tono")
    other = await app.people.person("telegram", 7002, "Tini")
    assert (await app.people.redeem(code.lower(), person, clock.now())).role == "petugas"
    assert (await app.people.redeem(code, other, clock.now())).outcome == "bad_code"
    assert await app.people.roles_of(person) == {"petugas"}
