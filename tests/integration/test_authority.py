"""Authority in the chat layer on a real database: button data names a request and a target,
never a permission; what it may do is read from the database at the press."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.chat.approvals import Approvals
from bot.chat.callbacks import evidence
from bot.domain.engine import Act, Refused
from storage.repositories import Repos
from tests.integration.test_services import people as people  # noqa: F401 - the fixture
from tests.integration.test_services import request_content


async def pending_of(app, person_id: int):
    async with app.db.reading() as tx:
        return await Repos(tx).pending.get(person_id)


async def audit_acts(app, code: str) -> list[str]:
    async with app.db.reading() as tx:
        return [e.act for e in await Repos(tx).audit.for_request(code)]


@pytest.fixture
async def approved(app, people) -> str:
    """A request approved by every official, waiting at the publish step."""
    state = await app.requests.submit(people["client"], request_content(app))
    for role in ("koordinator", "wakil_koordinator", "direktur"):
        await app.requests.decide(state.code, people[role], Act.APPROVE)
    return state.code


async def test_checklist_data_is_checked_not_trusted(app, people, approved):
    approvals, petugas = Approvals(app), people["petugas"]
    tap = await approvals.on_evidence_tap(petugas, "id", evidence(approved, "instagram"))
    assert tap.popup == (f"Permohonan {approved} belum dipublikasikan; tautan unggahan manual dicatat "
                         "sesudahnya.")
    assert await pending_of(app, petugas) is None, "no link is asked for"

    await app.requests.record_publication(approved, petugas)
    tap = await approvals.on_evidence_tap(petugas, "id", evidence(approved, "tiktok"))
    assert tap.popup == f"Kanal tiktok tidak ada di daftar unggah manual {approved}: instagram, website."
    tap = await approvals.on_evidence_tap(people["koordinator"], "id", evidence(approved, "instagram"))
    assert tap.popup == "Anda tidak memegang peran Petugas yang bertindak pada langkah ini."
    tap = await approvals.on_evidence_tap(petugas, "id", evidence("PUB-2099-0001", "instagram"))
    assert tap.popup == "Permohonan tidak ditemukan."
    assert await pending_of(app, petugas) is None

    tap = await approvals.on_evidence_tap(petugas, "id", evidence(approved, "instagram"))
    assert "tautan" in tap.replies[0].text and tap.replies[0].expect_reply
    result = await approvals.on_text(petugas, "id", "https://www.instagram.com/p/X/", "telegram")
    assert result is not None and "instagram" in result.replies[0].text
    assert (await audit_acts(app, approved)).count("evidence") == 1


async def test_record_evidence_refuses_what_the_checklist_never_offered(app, people, approved):
    with pytest.raises(Refused) as refused:
        await app.publishing.record_evidence(approved, people["petugas"], "instagram", "https://x.test/1")
    assert refused.value.reason == "not_published"
    await app.requests.record_publication(approved, people["petugas"])
    with pytest.raises(Refused) as refused:
        await app.publishing.record_evidence(approved, people["petugas"], "telegram", "https://x.test/2")
    assert refused.value.reason == "evidence_channel"  # the bot posts to Telegram itself
    assert "evidence" not in await audit_acts(app, approved)


async def test_evaluation_buttons_take_only_a_reported_month_and_the_offered_due_dates(settings, clock):
    app = await App.open(settings.model_copy(update={"flow": "ub-fisip"}), clock=clock)
    try:
        await app.people.grant("koordinator_kehumasan", "telegram", 2001)
        kusuma = await app.people.person("telegram", 2001, "Kusuma")
        approvals = Approvals(app)
        for forged in ("v|f|2026-13|evaluasi", "v|f|x|evaluasi", "v|a|2027-01|pengendalian",
                       "v|f|999-01|evaluasi"):
            tap = await approvals.on_tap(kusuma, "id", forged, "telegram")
            assert tap.popup == "Tombol ini tidak dikenali.", forged
            assert await pending_of(app, kusuma) is None
        tap = await approvals.on_tap(kusuma, "id", "v|a|2026-11|pengendalian", "telegram")
        assert tap.replies and tap.replies[0].expect_reply  # what is the action?
        await approvals.on_text(kusuma, "id", "Perbarui templat poster", "telegram")
        await approvals.on_tap(kusuma, "id", f"v|o|{kusuma}", "telegram")
        for forged in ("v|t|99999999999999999999", "v|t|3650"):  # only the offered choices
            tap = await approvals.on_tap(kusuma, "id", forged, "telegram")
            assert tap.popup == "Tombol ini tidak dikenali.", forged
        tap = await approvals.on_tap(kusuma, "id", "v|t|14", "telegram")
        assert "Perbarui templat poster" in tap.replies[0].text
    finally:
        await app.close()
