"""Long texts are never cut: a 5,000-character caption reaches the client's summary and the
reviewer's card whole, with contact, date, notes and the buttons after it; a caption that
Telegram splits into two messages when pasted is joined, not taken as its tail. RSPON takes
captions of any length (it names no caption limit)."""

from __future__ import annotations

import pytest

from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.office import office, submit
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401

FIRST = ("Seminar kesehatan jiwa untuk remaja dan orang tua di Aula RSPON. " * 63).strip()  # 4,094
SECOND = ("Pendaftaran gratis di loket informasi lantai satu. " * 18).strip()  # 917


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("platform", ["telegram", "line"])
async def test_a_long_caption_reaches_the_summary_and_the_card_whole(telegram_server, line_server, tmp_path,
                                                                     clock, platform):
    async with office("rspon", telegram_server, line_server, tmp_path, clock) as rspon:
        client = await rspon.join("client", "Unit Rehab", platform)
        ipkp = await rspon.join("ipkp", "Ika", platform, "ipkp", telegram_id=2001)
        # Telegram splits a 5,000-character paste into two messages; LINE sends it as one
        parts = (FIRST, SECOND) if platform == "telegram" else (f"{FIRST}\n{SECOND}",)
        code = await submit(client, caption=parts)

        caption = (await rspon.app.requests.get(code)).content.caption
        assert caption == f"{FIRST}\n{SECOND}", "joined, not its tail"
        summary = client.transcript().split("Ringkasan permohonan")[-1]
        assert words(caption) in words(summary)
        assert summary.index(SECOND[-40:]) < summary.index("Contact person: Sari / 081234567890")
        for after in ("Tanggal publikasi: 30 November 2026", "Catatan khusus: Tidak ada"):
            assert after in summary

        await ipkp.sees(code, "Langkah 2 dari 8")
        await ipkp.tap("📤 Unggah hasil")  # the card's buttons came, on its last message
        card = ipkp.transcript().split("Langkah 2 dari 8")[-1]
        card = card.replace(f"📋 {code} (versi 1) (lanjutan)", "")  # LINE: the bubble's own heading
        assert words(caption) in words(card), "the reviewer reads the whole caption"
        assert "Contact person: Sari / 081234567890" in card
