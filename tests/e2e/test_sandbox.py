"""The sandbox in a real browser: `humas-bot sandbox --flow unej` as a process, its page in
headless Chromium (Debian's, driven by Playwright). A whole request is played by clicking, as
each sample person; what every chat shows is checked at each step."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from bot.sandbox.poster import sample_poster  # noqa: E402
from bot.sandbox.server import SAMPLE_NOTE  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT = 15_000  # ms: the bot answers within a second; a loaded CI machine gets slack
expect.set_options(timeout=WAIT)


# The sandbox process and the browser --------------------------------------------------------


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    return env | {"HUMAS_CONFIG": str(tmp_path / "none.toml")} | extra


class SandboxProcess:
    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env or environment(tmp_path),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.url = ""
        ready = threading.Event()

        def read(stream, into: list[str]) -> None:
            for line in stream:
                into.append(line)
                found = re.search(r"Open (http://127\.0\.0\.1:\d+/)", line)
                if found:
                    self.url = found.group(1)
                    ready.set()
            ready.set()  # the process ended

        for stream, into in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=read, args=(stream, into), daemon=True).start()
        ready.wait(60)
        if not self.url:
            self.stop()
            raise AssertionError(f"the sandbox did not start: {''.join(self.stdout + self.stderr)[-3000:]}")

    def state(self) -> dict:
        with urllib.request.urlopen(self.url + "api/state", timeout=10) as response:
            return json.load(response)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def run_sandbox(tmp_path: Path, *options: str) -> Iterator[SandboxProcess]:
    """A sandbox on the unej flow for a fixture to yield; afterwards no spec was broken (Bot API,
    and the Messaging API with --line) and the process stopped cleanly."""
    process = SandboxProcess(tmp_path, "sandbox", *options, "--flow", "unej", "--port", "0")
    try:
        yield process
        assert process.state()["violations"] == [], "the bot broke an emulated platform's API spec"
    finally:
        code = process.stop()
    assert code == 0, "".join(process.stderr)[-3000:]


@pytest.fixture
def sandbox(tmp_path) -> Iterator[SandboxProcess]:
    yield from run_sandbox(tmp_path)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `apt-get install chromium` (bash scripts/setup.sh test does it)")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def page_at(browser: Browser, url: str, width: int = 1440, height: int = 900) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(url)
    expect(page.locator(".chat-item")).to_have_count(9)
    return page


# Acting on the page -------------------------------------------------------------------------


def open_chat(page: Page, key: str, name: str) -> None:
    page.click(f'.chat-item[data-chat="{key}"]')
    expect(page.locator("#chat-head .name")).to_have_text(name)


def send(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")
    expect(page.locator("#messages .msg.mine .text").last).to_have_text(text)


def bot_says(page: Page, *needles: str):
    """The newest bot message in the open chat that shows every needle (waits for it)."""
    message = page.locator("#messages .msg:not(.mine)")
    for needle in needles:
        message = message.filter(has_text=needle)
    expect(message.last).to_be_visible()
    return message.last


def pinned(page: Page, message):
    """The same message, found by its id: it stays found when an edit changes its text."""
    return page.locator(f'#messages .msg[data-id="{message.get_attribute("data-id")}"]')


def tap(page: Page, message, button: str) -> None:
    message.locator(f'button[data-tap="{button}"]').click()


def buttons(message) -> list[str]:
    return message.locator("button[data-tap]").all_inner_texts()


def popup(page: Page, text: str) -> None:
    expect(page.locator("#toast")).to_have_text(text)


def bot_messages(page: Page) -> int:
    return page.locator("#messages .msg:not(.mine)").count()


def audit_acts(page: Page) -> list[str]:
    return page.locator("#audit .act").all_inner_texts()


def in_a_week() -> str:
    return (datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(days=7)).strftime("%d-%m-%Y")


def start_request(page: Page, command: str = "/ajukan", title: str = "Seminar Nasional Kesehatan",
                  organisation: str = "BEM FK Universitas Jember"):
    """The first three answers (title, organisation, the sample poster); the bot's receipt of
    the poster, whose Lanjut goes on."""
    send(page, command)
    bot_says(page, "1. Apa judul acara")
    send(page, title)
    bot_says(page, "2. Nama institusi")
    send(page, organisation)
    bot_says(page, "3. Kirim poster")
    page.click("#attach")
    page.click('#attach-menu [data-action="poster"]')
    expect(page.locator("#messages .msg.mine img.photo")).to_be_visible()
    return bot_says(page, "Poster 1 diterima")


def submit_as_client(page: Page) -> str:
    """Sari fills the intake through the page and sends it; the request's code."""
    open_chat(page, "client", "Sari")
    received = start_request(page)
    expect(received).to_contain_text("Poster 1 diterima (1080×1350)")
    tap(page, received, "Lanjut ➡️")
    bot_says(page, "4. Tulis caption")
    send(page, "Ayo hadiri Seminar Nasional Kesehatan! #sehat")
    bot_says(page, "5. Contact person")
    share = page.locator('#reply-keyboard button[data-contact="1"]')
    expect(share).to_have_text("📱 Bagikan kontak")
    share.click()
    expect(page.locator("#messages .msg.mine .contact")).to_contain_text("+6281234567890")
    expect(page.locator("#reply-keyboard")).to_be_hidden()  # a one-time keyboard, used
    bot_says(page, "6. Tanggal publikasi")
    send(page, in_a_week())
    notes = bot_says(page, "7. Catatan khusus")  # unej asks no slot: 6 is followed by 7
    tap(page, notes, "Tidak ada")
    summary = bot_says(page, "Ringkasan permohonan", "Sari / +6281234567890")
    expect(summary.locator("img.photo")).to_be_visible()
    assert buttons(summary) == ["✅ Kirim", "✏️ Ubah", "❌ Batal"]
    tap(page, summary, "✅ Kirim")
    receipt = bot_says(page, "Permohonan diterima", "Kode: PUB-")
    return re.search(r"Kode: (PUB-\d{4}-\d{4})", receipt.inner_text()).group(1)


# The tests ----------------------------------------------------------------------------------


def test_a_whole_unej_request_played_through_the_page(sandbox, browser):
    page = page_at(browser, sandbox.url)
    # before anything: every person has said /start; subscribers chose; the channel is registered
    # without a post in it (the sandbox's own set-up is not the office's publication)
    open_chat(page, "channel", "Info Kampus")
    expect(page.locator("#messages .empty-chat")).to_contain_text("terdaftar sebagai tujuan push-info")
    expect(page.locator("#messages .msg")).to_have_count(0)
    expect(page.locator("#composer")).to_be_hidden()
    open_chat(page, "wakil_rektor_3", "Budi")  # a holder's /start said what will reach them
    bot_says(page, "memegang peran Wakil Rektor III", "langkah 1 dari 7: Wakil Rektor III menerima",
             "/antrian")
    open_chat(page, "subscriber1", "Rina")
    bot_says(page, "Pilihan saat ini: mahasiswa")
    expect(page.locator("#sop-body")).to_contain_text("Belum ada permohonan")

    # 0. the client submits
    code = submit_as_client(page)
    request = page.locator("#request-card")
    expect(request).to_contain_text(code)
    expect(request).to_contain_text("aktif")
    expect(request).to_contain_text("Wakil Rektor III (Budi)")
    expect(page.locator("tr.current")).to_have_attribute("data-step", "disposisi")
    assert audit_acts(page) == ["Diajukan"]
    expect(page.locator('.chat-item[data-chat="wakil_rektor_3"] .turn')).to_be_visible()

    # 1. disposisi: Wakil Rektor III disposes, with a note in a reply
    open_chat(page, "wakil_rektor_3", "Budi")
    card = bot_says(page, code, "Langkah 1 dari 7", "Standar waktu: 1 hari")
    expect(card.locator("img.photo")).to_be_visible()
    assert buttons(card) == ["📨 Disposisi"]
    tap(page, card, "📨 Disposisi")
    bot_says(page, "Tulis catatan disposisi", code)
    send(page, "Mohon ditindaklanjuti segera")
    bot_says(page, "Didisposisikan oleh Budi (Wakil Rektor III)", "Mohon ditindaklanjuti segera")
    open_chat(page, "client", "Sari")
    bot_says(page, code, "Didisposisikan", "Catatan: Mohon ditindaklanjuti segera")
    expect(page.locator("tr.current")).to_have_attribute("data-step", "pemilihan_media")
    expect(page.locator("#audit li").last).to_contain_text("Mohon ditindaklanjuti segera")

    # 2. pemilihan_media: Kepala BPKH picks the media; each tap edits the same card in place
    open_chat(page, "kepala_bpkh", "Wati")
    card = bot_says(page, code, "Langkah 2 dari 7")
    expect(card).to_contain_text("Disposisi dari Wakil Rektor III (Budi)")  # the sheet travels
    expect(card).to_contain_text("Mohon ditindaklanjuti segera")
    assert buttons(card) == ["⬜ telegram", "⬜ instagram", "⬜ website", "⬜ youtube",
                             "💾 Simpan pilihan kanal"]
    count = bot_messages(page)
    card = pinned(page, card)
    tap(page, card, "⬜ telegram")
    popup(page, "Pilihan kanal: telegram")
    expect(card.locator('button[data-tap="☑️ telegram"]')).to_be_visible()
    tap(page, card, "⬜ instagram")
    popup(page, "Pilihan kanal: telegram, instagram")
    tap(page, card, "💾 Simpan pilihan kanal")
    popup(page, "Tercatat: Kanal dipilih")
    expect(card).to_contain_text("Kanal dipilih oleh Wati (Kepala BPKH)")
    expect(card.locator("button")).to_have_count(0)
    expect(card.locator(".edited")).to_have_text("diedit")
    assert bot_messages(page) == count, "the card was edited, not sent again"
    expect(request).to_contain_text("telegram, instagram")

    # 3. instruksi_koordinator: Koordinator PKIH instructs, without a note ("-")
    open_chat(page, "koordinator_pkih", "Dedi")
    card = bot_says(page, code, "Langkah 3 dari 7")
    tap(page, card, "📨 Instruksikan")
    bot_says(page, "Tulis instruksi")
    send(page, "-")
    bot_says(page, "Diinstruksikan oleh Dedi (Koordinator PKIH)")

    # 4-5. cek_narasi and instruksi_publikasi: the Wakil Koordinator Humas approves, then instructs
    open_chat(page, "wakil_koordinator_humas", "Rudi")
    card = bot_says(page, code, "Langkah 4 dari 7")
    assert buttons(card) == ["✅ Setujui", "↩️ Kembalikan untuk revisi"]
    tap(page, card, "✅ Setujui")
    popup(page, "Tercatat: Disetujui")
    card = bot_says(page, code, "Langkah 5 dari 7")
    tap(page, card, "📨 Instruksikan")
    bot_says(page, "Tulis instruksi")
    send(page, "Publikasikan hari ini")
    bot_says(page, "Diinstruksikan oleh Rudi (Wakil Koordinator Humas)")
    expect(page.locator("tr.current")).to_have_attribute("data-step", "push_info")

    # 6. push_info: the petugas picks an audience and broadcasts
    open_chat(page, "petugas", "Putri")
    card = pinned(page, bot_says(page, code, "Langkah 6 dari 7"))
    assert buttons(card)[-2:] == ["📢 Sebarkan sekarang", "🕒 Jadwalkan sesuai permintaan"]
    expect(card).to_contain_text("Instruksi dari Wakil Koordinator Humas (Rudi)")
    expect(card).to_contain_text("Publikasikan hari ini")
    expect(card).to_contain_text("Belum ada audiens dipilih: Sebarkan mengirim ke SEMUA audiens")
    tap(page, card, "⬜ mahasiswa")
    popup(page, "Audiens: mahasiswa → 1 kanal, 0 grup, 1 orang")
    expect(card.locator('button[data-tap="☑️ mahasiswa"]')).to_be_visible()
    tap(page, card, "📢 Sebarkan sekarang")
    popup(page, "Tercatat: Dipublikasikan")
    bot_says(page, f"Laporan penyebaran {code}: 2/2 terkirim, 0 gagal")
    open_chat(page, "subscriber1", "Rina")  # mahasiswa: receives the poster with its caption
    post = bot_says(page, "Ayo hadiri Seminar Nasional Kesehatan! #sehat")
    expect(post.locator("img.photo")).to_be_visible()
    open_chat(page, "channel", "Info Kampus")  # registered for every audience
    post = bot_says(page, "Ayo hadiri Seminar Nasional Kesehatan! #sehat")
    expect(post.locator("img.photo")).to_be_visible()
    open_chat(page, "subscriber2", "Dimas")  # dosen: not chosen, nothing new
    expect(page.locator("#messages .msg:not(.mine)").filter(has_text="Ayo hadiri")).to_have_count(0)

    # 7. arsip: the petugas archives; the request is done
    open_chat(page, "petugas", "Putri")
    card = pinned(page, bot_says(page, code, "Langkah 7 dari 7"))
    tap(page, card, "🗄 Arsipkan")
    popup(page, "Tercatat: Diarsipkan")
    expect(card).to_contain_text("Diarsipkan oleh Putri")
    open_chat(page, "client", "Sari")
    bot_says(page, code, "selesai", "telah dipublikasikan dan diarsipkan")

    expect(request).to_contain_text("selesai")
    expect(page.locator("table.steps tr.done")).to_have_count(7)
    assert audit_acts(page) == ["Diajukan", "Didisposisikan", "Kanal dipilih", "Diinstruksikan", "Disetujui",
                                "Diinstruksikan", "Dipublikasikan", "Diarsipkan"]
    assert page.errors == []  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(3500)  # the last popup fades
    page.locator("#audit li").last.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "sandbox-final.png"))
    open_chat(page, "channel", "Info Kampus")
    page.screenshot(path=str(ARTIFACTS / "sandbox-channel.png"))


def test_the_page_works_at_a_phone_width(sandbox, browser):
    page = page_at(browser, sandbox.url, width=390, height=844)

    def no_sideways_scroll() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate("document.body.scrollWidth") <= 390

    no_sideways_scroll()
    expect(page.locator("#chat")).to_be_hidden()  # one pane at a time: the list first
    open_chat(page, "client", "Sari")
    expect(page.locator("#list")).to_be_hidden()
    box = page.locator("#text").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    title, organisation = "Festival Budaya Nusantara", "UKM Seni Universitas Jember"
    received = start_request(page, title=title, organisation=organisation)
    sent = page.locator("#messages .msg.mine img.photo")
    with urllib.request.urlopen(sandbox.url + sent.get_attribute("src").lstrip("/"), timeout=10) as image:
        drawn = sample_poster(title, organisation, "", SAMPLE_NOTE)
        assert image.read() == drawn, "the sample poster shows what the client typed"
    photo = sent.bounding_box()
    assert photo and photo["x"] + photo["width"] <= 390
    no_sideways_scroll()
    tap(page, received, "Lanjut ➡️")
    bot_says(page, "4. Tulis caption")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-phone-chat.png"))

    page.click("#sop-toggle")
    expect(page.locator("#sop")).to_be_visible()
    expect(page.locator("#clock-card")).to_be_visible()
    no_sideways_scroll()
    page.screenshot(path=str(ARTIFACTS / "sandbox-phone-sop.png"))
    page.click("#back")
    expect(page.locator("#chat")).to_be_visible()
    page.click("#back")
    expect(page.locator("#list")).to_be_visible()
    expect(page.locator('.chat-item[data-chat="petugas"]')).to_be_in_viewport()
    no_sideways_scroll()
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_clock_control_fires_the_reminder_then_the_escalation(sandbox, browser):
    page = page_at(browser, sandbox.url)
    code = submit_as_client(page)
    expect(page.locator("#request-card")).to_contain_text("pengingat")
    open_chat(page, "wakil_rektor_3", "Budi")
    bot_says(page, code, "Langkah 1 dari 7")
    # the disposition's standard is 1 day: a reminder at 75 %, then the deadline
    page.click("#clock-next")
    popup_text = page.locator("#toast")
    expect(popup_text).to_contain_text("Jam dimajukan")
    expect(page.locator("#clock-offset")).to_contain_text("dimajukan 18 jam")  # to the minute
    reminder = bot_says(page, "⏰ Pengingat", code, "menunggu tindakan Anda")
    assert buttons(reminder) == ["📨 Disposisi"], "the reminder carries the step's buttons"
    page.click("#clock-next")
    deadline = bot_says(page, "⏰ Batas waktu", code)
    expect(page.locator("#request-card .late")).to_contain_text(re.compile("terlambat|batas waktu lewat"))
    # the Wakil Rektor III is the top of the hierarchy: no subordinate hears of his lateness
    tap(page, deadline, "📨 Disposisi")
    bot_says(page, "Tulis catatan", code)
    send(page, "Mohon segera")
    open_chat(page, "kepala_bpkh", "Wati")
    assert "Eskalasi" not in page.locator("#messages").inner_text()
    bot_says(page, code, "Langkah 2 dari 7")
    # Kepala BPKH's 2 hours: reminder, deadline, and after the grace the one above him hears
    for _ in range(3):
        page.click("#clock-next")
    open_chat(page, "wakil_rektor_3", "Budi")
    bot_says(page, "⚠️ Eskalasi", code, "Kepala BPKH")
    expect(page.locator("#audit .act").last).to_have_text("Eskalasi")
    expect(page.locator("#audit li").last).to_contain_text("sistem")
    assert page.errors == []  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-clock.png"))


def test_refuses_to_start_with_a_real_token_unless_told(tmp_path):
    env = environment(tmp_path, HUMAS_TELEGRAM_TOKEN="7208431955:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    refused = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--port", "0"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "HUMAS_TELEGRAM_TOKEN is set" in lines[0] and "--ignore-token" in lines[0]
    assert "Open http" not in refused.stdout

    told = SandboxProcess(tmp_path, "sandbox", "--port", "0", "--ignore-token", env=env)
    try:
        state = told.state()
        assert state["flow"]["name"] == "default"
        assert {chat["key"] for chat in state["chats"]} >= {"client", "koordinator", "petugas", "channel"}
    finally:
        assert told.stop() == 0
