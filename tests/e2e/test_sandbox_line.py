"""`humas-bot sandbox --line`: the real bot against the built-in Telegram and LINE emulators in
one process, played through the page in Chromium. A LINE client submits a request (typed answers,
quick-reply chips, the date picker, the sample poster); a Telegram role holder gets its card."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
from playwright.sync_api import Page, expect  # noqa: E402

from bot.clock import MovableClock  # noqa: E402
from bot.emulator.line import Received  # noqa: E402
from bot.sandbox.line import LINE_PEOPLE, Entry, LineSide  # noqa: E402
from tests.e2e.test_sandbox import (  # noqa: E402
    ARTIFACTS,
    SandboxProcess,
    bot_says,
    buttons,
    environment,
    open_chat,
    run_sandbox,
    send,
    start_request,
)
from tests.e2e.test_sandbox import browser as browser  # noqa: E402, F401 - the fixture

CHATS = 9 + 2  # the Telegram people and the channel, then the two LINE people


@pytest.fixture
def sandbox(tmp_path) -> Iterator[SandboxProcess]:
    yield from run_sandbox(tmp_path, "--line")


def chip(page: Page, label: str):
    """A quick reply of the newest LINE message, shown under the chat."""
    return page.locator(f'#reply-keyboard.chips button[data-tap="{label}"]')


def test_a_line_client_submits_through_the_page_and_a_telegram_holder_gets_the_card(sandbox, browser):
    assert "Telegram and LINE emulators" in "".join(sandbox.stdout)
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    expect(page.locator(".chat-item")).to_have_count(CHATS)
    expect(page.locator('.chat-item[data-chat="line_client"] .platform-line')).to_have_text("LINE")

    # the LINE subscriber followed the account, which subscribed them to push-info
    open_chat(page, "line_subscriber", "Bima (LINE)")
    bot_says(page, "Anda menerima info publikasi untuk")

    open_chat(page, "line_client", "Ayu (LINE)")
    bot_says(page, "Selamat datang")
    expect(page.locator('#attach-menu [data-action="file"]')).to_be_hidden()  # LINE: the sample poster only
    start_request(page, "ajukan")  # LINE people type commands without the slash
    chip(page, "Lanjut ➡️").click()
    expect(page.locator("#messages .msg.mine .text").last).to_have_text("Lanjut ➡️")
    bot_says(page, "4. Tulis caption")
    send(page, "Ayo hadiri Seminar Nasional Kesehatan! #sehat")
    bot_says(page, "5. Contact person")
    send(page, "Ayu +6281234567891")
    bot_says(page, "6. Tanggal publikasi")
    picked = (datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(days=7)).date()
    page.locator('#reply-keyboard input[type="date"]').fill(picked.isoformat())
    expect(page.locator("#messages .msg.mine .text").last).to_have_text(picked.isoformat())
    bot_says(page, "7. Catatan khusus")  # unej asks no slot
    chip(page, "Tidak ada").click()
    bot_says(page, "Ringkasan permohonan", "Ayu / +6281234567891")
    poster = page.locator("#messages .msg:not(.mine) img.photo").last  # the poster, from line_public_url
    expect(poster).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=poster.element_handle())
    chips = page.locator("#reply-keyboard.chips button").all_inner_texts()
    assert chips == ["✅ Kirim", "✏️ Ubah", "❌ Batal"]
    chip(page, "✅ Kirim").click()
    receipt = bot_says(page, "Permohonan diterima", "Kode: PUB-")
    code = re.search(r"Kode: (PUB-\d{4}-\d{4})", receipt.inner_text()).group(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-line-client.png"))

    # one request across both platforms: the SOP panel has it, and Telegram's first holder its card
    request = page.locator("#request-card")
    expect(request).to_contain_text(code)
    expect(request).to_contain_text("Wakil Rektor III (Budi)")
    expect(page.locator('.chat-item[data-chat="wakil_rektor_3"] .turn')).to_be_visible()
    open_chat(page, "wakil_rektor_3", "Budi")
    card = bot_says(page, code, "Langkah 1 dari 7")  # a Telegram card: inline buttons
    expect(card.locator("img.photo")).to_be_visible()
    assert buttons(card) == ["📨 Disposisi"]
    assert errors == []


def test_line_messages_take_the_page_s_bubble_shape():
    """A Flex card: its body text, its hero image at the sandbox's address, its footer's
    postback buttons and a datetime picker as buttons; a text's quick replies as chips."""
    side = LineSide(MovableClock())
    side.public_url = "https://127.0.0.1:8765"
    person = LINE_PEOPLE[0]
    flex = {"type": "flex", "altText": "Kartu", "contents": {
        "type": "bubble", "hero": {"type": "image", "url": "https://127.0.0.1:8765/media/abc"},
        "body": {"type": "box", "layout": "vertical",
                 "contents": [{"type": "text", "text": "PUB-2026-0001"}]},
        "footer": {"type": "box", "layout": "vertical", "contents": [{"type": "box", "layout": "horizontal",
                   "contents": [
                       {"type": "button", "action": {"type": "postback", "label": "✅ Setujui", "data": "a"}},
                       {"type": "button", "action": {"type": "datetimepicker", "label": "📅", "data": "d",
                                                     "mode": "date", "min": "2026-11-27"}}]}]}}}
    text = {"type": "text", "text": "Pilih", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "Tidak ada", "data": "n"}}]}}
    now = side.clock.now()
    side.timeline[person.user_id] = [Entry(False, now, received=Received(m, "push", 0, str(i), "r"))
                                     for i, m in enumerate((flex, text))]
    view = side.chat_view(person, lambda at: "10.00")
    card, asked = view["messages"]
    assert card["text"] == "PUB-2026-0001" and card["photo"]["url"] == "/media/abc"
    assert [b["text"] for b in card["buttons"][0]] == ["✅ Setujui", "📅"]
    assert card["buttons"][0][1]["picker"] == "date" and card["buttons"][0][1]["min"] == "2026-11-27"
    assert asked["text"] == "Pilih" and view["keyboard"] == [[{"text": "Tidak ada", "url": None}]]


def test_the_line_sandbox_needs_no_shared_specs(tmp_path):
    """An install without ../shared: the LINE descriptions ship in the package."""
    env = environment(tmp_path, HUMAS_SPECS_DIR=str(tmp_path / "no-shared-specs"))
    process = SandboxProcess(tmp_path, "sandbox", "--line", "--port", "0", env=env)
    try:
        state = process.state()
        assert [c["key"] for c in state["chats"] if c.get("platform") == "line"] == ["line_client",
                                                                                     "line_subscriber"]
        assert state["violations"] == []
    finally:
        code = process.stop()
    assert code == 0, "".join(process.stderr)[-3000:]
    assert "Traceback" not in "".join(process.stderr)
