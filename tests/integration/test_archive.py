"""The archive of a request that went the whole way: services on a real SQLite file, the
deliveries made by the real broadcaster against the Bot API emulator, then `humas-bot archive
export` (a real process) or Archive.export. The zip must account for every file, event,
delivery and evidence link, and record.html for every step."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
from PIL import Image
from telegram import Bot

from bot.app import App
from bot.broadcast.telegram import TelegramBroadcaster
from bot.chat.media import accept_upload
from bot.domain.engine import Act
from bot.domain.request import Contact, Content, MediaRef, Status
from bot.emulator.telegram import TelegramEmulator
from bot.services.archive import Archive
from storage.repositories import Repos
from tests.e2e.telegram_fixtures import telegram_server as telegram_server  # noqa: F401
from tests.integration.test_cli import humas

MINUTES = timedelta(minutes=1)
# The ISMKI flow's step names, as record.html shows them
KIRIM = ("Klien mengirimkan permintaan publikasi ([PUBLIKASI] JUDUL ACARA_NAMA ORGANISASI)",)
KONFIRMASI = ("Klien mengkonfirmasi pengiriman melalui private chat LINE",)
QC = ("ICT nasional melakukan quality control dan menambahkan footer corporate identity ISMKI",)
PUBLIKASI = ("ICT nasional mempublikasikan di media ISMKI (08.00-10.00 atau 18.00-22.00 WIB)",)


def poster(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (1080, 1350), colour)
    image.paste((250, 250, 250), (100, 100, 980, 400))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def content_with(app: App, colour: tuple[int, int, int], caption: str) -> Content:
    data = poster(colour)
    ref = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data))
    return Content(title="Donor Darah", organisation="PMI Kampus", caption=caption, media=[ref],
                   contact=Contact(name="Sari", phone="0812"), publish_date=date(2026, 12, 1),
                   slot="08.00-10.00", notes="Tidak ada")


async def audience(app: App, server: TelegramEmulator, petugas_tg: int) -> None:
    """A channel and two subscribers of 'mahasiswa' (one has blocked the bot); the petugas
    can receive the broadcast report."""
    channel = server.channel(-1001001, "Info Mahasiswa")
    channel.add_bot(admin=True)
    for user_id, name in ((6001, "Rina"), (6002, "Bayu"), (petugas_tg, "Putri")):
        server.user(user_id, name).started = True
    server.block(6002)
    async with app.db.transaction() as tx:
        repos = Repos(tx)
        await repos.targets.add("telegram", -1001001, "Info Mahasiswa", "channel", ["mahasiswa"])
        for chat_id in (6001, 6002):
            await repos.subscribers.subscribe("telegram", chat_id, None, ["mahasiswa"])


async def broadcast(app: App, server: TelegramEmulator) -> None:
    """What the running bot's sender does: drain every due row, then report."""
    bot = Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url)
    async with bot:
        sender = TelegramBroadcaster(app, bot)
        while await sender.drain():
            pass
        await sender.progress.finish_done()


def read_zip(path: Path) -> tuple[zipfile.ZipFile, dict]:
    archive = zipfile.ZipFile(path)
    return archive, json.loads(archive.read("manifest.json"))


def check_files(archive: zipfile.ZipFile, manifest: dict) -> dict[str, str]:
    """Every file in the zip is listed with the sha256 and size of its bytes; path -> sha256."""
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(archive.namelist()) == {*listed, "manifest.json", "record.html", "record.pdf"}
    assert len(listed) == len(manifest["files"]), "a path listed twice"
    for name, entry in listed.items():
        data = archive.read(name)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert len(data) == entry["size"], name
    return {name: entry["sha256"] for name, entry in listed.items()}


def html_rows(page: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [[unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows[1:]]


@pytest.fixture
async def people(app):
    ids = {"client": await app.people.person("telegram", 1001, "Sari")}
    for role, tg, name in (("koordinator", 2001, "Budi"), ("wakil_koordinator", 3001, "Wati"),
                           ("direktur", 4001, "Dedi"), ("petugas", 5001, "Putri")):
        await app.people.grant(role, "telegram", tg)
        ids[role] = await app.people.person("telegram", tg, name)
    return ids


async def test_default_flow_archive_accounts_for_everything(app, people, clock, telegram_server, tmp_path):
    server = telegram_server
    await audience(app, server, 5001)
    first = content_with(app, (20, 90, 160), "Ayo donor darah!")
    state = await app.requests.submit(people["client"], first)
    code = state.code
    clock.advance(30 * MINUTES)
    await app.requests.decide(code, people["koordinator"], Act.RETURN, note="Poster kurang jelas & <kecil>")
    clock.advance(45 * MINUTES)
    second = content_with(app, (160, 30, 30), "Ayo donor darah! Aula FK, 1 Desember.")
    await app.requests.resubmit(code, second, people["client"])
    for role, minutes in (("koordinator", 20), ("wakil_koordinator", 50), ("direktur", 90)):
        clock.advance(minutes * MINUTES)
        await app.requests.decide(code, people[role], Act.APPROVE)
    clock.advance(15 * MINUTES)
    published = await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    assert published.recipients == 3
    await broadcast(app, server)
    for channel, url in (("instagram", "https://www.instagram.com/p/DonorDarah/"),
                         ("website", "https://humas.example.ac.id/berita/donor-darah")):
        clock.advance(5 * MINUTES)
        await app.publishing.record_evidence(code, people["petugas"], channel, url)
    clock.advance(10 * MINUTES)
    assert (await app.requests.archive(code, people["petugas"])).state.status == Status.DONE

    result = humas(tmp_path, "archive", "export", code, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == tmp_path / "out" / f"{code}.zip"
    archive, manifest = read_zip(path)

    files = check_files(archive, manifest)
    assert files == {
        "media/v1-1.jpg": first.media[0].sha256, "media/v2-1.jpg": second.media[0].sha256,
        "caption-v1.txt": hashlib.sha256(first.caption.encode()).hexdigest(),
        "caption-v2.txt": hashlib.sha256(second.caption.encode()).hexdigest(),
    }
    assert archive.read("media/v1-1.jpg") == app.files.get(first.media[0].sha256)
    assert archive.read("caption-v2.txt").decode() == second.caption
    assert (manifest["code"], manifest["status"], manifest["version"]) == (code, "done", 2)
    assert [v["content"]["caption"] for v in manifest["versions"]] == [first.caption, second.caption]

    async with app.db.reading() as tx:
        repos = Repos(tx)
        events = await repos.audit.for_request(code)
        rows = await repos.broadcasts.deliveries(await repos.requests.id_of(code))
    assert [(e["act"], e["step"], e["version"], e["actor"], e["at"]) for e in manifest["events"]] == [
        (e.act, e.step_id, e.version, e.actor_name, e.at.isoformat()) for e in events]
    assert [e["act"] for e in manifest["events"]] == ["submit", "return", "submit", "approve", "approve",
                                                      "approve", "publish", "evidence", "evidence", "archive"]
    assert manifest["events"][1]["note"] == "Poster kurang jelas & <kecil>"
    assert manifest["evidence"] == [
        {"channel": "instagram", "url": "https://www.instagram.com/p/DonorDarah/"},
        {"channel": "website", "url": "https://humas.example.ac.id/berita/donor-darah"},
    ]
    shown = {d["recipient"]: (d["status"], d["result"]) for d in manifest["deliveries"]}
    assert shown == {row["recipient"]: (row["status"], row["result"]) for row in rows}
    assert {r: s for r, (s, _) in shown.items()} == {
        "telegram:-1001001": "sent", "telegram:6001": "sent", "telegram:6002": "failed"}
    assert shown["telegram:6002"][1]["reason"] == "Forbidden: bot was blocked by the user"
    assert shown["telegram:6001"][1]["message_ids"] and all(d["at"] for d in manifest["deliveries"])

    page = archive.read("record.html").decode()
    assert f"<h1>{code}</h1>" in page and "[PUBLIKASI] DONOR DARAH_PMI KAMPUS" in page
    # No, step, role, name, act, standard, deadline, done (WIB), working time, verdict, needs, output, note
    k = ("Permohonan publikasi", "Permohonan diperiksa")
    assert html_rows(page) == [
        ["1", "Koordinator memeriksa permohonan", "Pemohon", "Sari", "Diajukan", "-", "-",
         "26-11-2026 09.00", "0 menit", "-", *k, ""],
        ["1", "Koordinator memeriksa permohonan", "Koordinator", "Budi", "Dikembalikan untuk revisi",
         "2 jam", "26-11-2026 11.00", "26-11-2026 09.30", "30 menit", "tepat waktu", *k,
         "Poster kurang jelas & <kecil>"],
        ["1", "Koordinator memeriksa permohonan", "Pemohon", "Sari", "Diajukan", "-", "-",
         "26-11-2026 10.15", "45 menit", "-", *k, ""],
        ["1", "Koordinator memeriksa permohonan", "Koordinator", "Budi", "Disetujui", "2 jam",
         "26-11-2026 12.15", "26-11-2026 10.35", "20 menit", "tepat waktu", *k, ""],
        ["2", "Wakil Koordinator menyetujui", "Wakil Koordinator", "Wati", "Disetujui", "2 jam",
         "26-11-2026 12.35", "26-11-2026 11.25", "50 menit", "tepat waktu", "Permohonan diperiksa",
         "Persetujuan", ""],
        ["3", "Direktur menyetujui publikasi", "Direktur", "Dedi", "Disetujui", "1 hari",
         "27-11-2026 11.25", "26-11-2026 12.55", "1 jam 30 menit", "tepat waktu",
         "Persetujuan wakil koordinator", "Persetujuan publikasi", ""],
        ["4", "Petugas mempublikasikan (push-info)", "Petugas", "Putri", "Dipublikasikan", "2 jam",
         "26-11-2026 14.55", "26-11-2026 13.10", "15 menit", "tepat waktu", "Bahan publikasi yang disetujui",
         "Informasi tersebar", ""],
        ["5", "Petugas mengarsipkan", "Petugas", "Putri", "Diarsipkan", "1 jam", "26-11-2026 14.10",
         "26-11-2026 13.30", "20 menit", "tepat waktu", "Hasil publikasi", "Arsip publikasi", ""],
    ]
    assert "&lt;kecil&gt;" in page, "notes are escaped"
    # the same SOP record, printable on its own, as the paper disposition sheet was
    record = humas(tmp_path, "archive", "record", code, "--out", str(tmp_path / "sheet"))
    assert record.returncode == 0, record.stderr
    sheet = Path(record.stdout.strip())
    assert sheet == tmp_path / "sheet" / f"{code}.html"
    assert html_rows(sheet.read_text(encoding="utf-8")) == html_rows(page)  # noqa: ASYNC240
    assert "Penyebaran: 2 dari 3 penerima terkirim." in page


async def test_ismki_archive_holds_the_original_and_the_footer_copy_that_went_out(
    settings, clock, telegram_server, tmp_path
):
    server = telegram_server
    app = await App.open(settings.model_copy(update={"flow": "ismki"}), clock=clock)
    try:
        client = await app.people.person("telegram", 1001, "Sari")
        await app.people.grant("ict", "telegram", 5001)
        ict = await app.people.person("telegram", 5001, "Putri")
        await audience(app, server, 5001)
        ref, refusal = await accept_upload(app, poster((20, 90, 160)), "poster.jpg", "image/jpeg", "id")
        assert ref is not None and ref.stamped_sha256, refusal
        content = content_with(app, (0, 0, 0), "Ayo donor darah bersama ISMKI!").model_copy(
            update={"media": [ref], "publish_date": date(2026, 12, 2)})
        code = (await app.requests.submit(client, content)).code
        clock.advance(60 * MINUTES)
        await app.requests.confirm(code, client)
        clock.advance(3 * 60 * MINUTES)
        await app.requests.decide(code, ict, Act.APPROVE)
        clock.advance(6 * 60 * MINUTES)  # 19.00 WIB: ISMKI publishes only 08-10 and 18-22
        await app.publishing.publish(code, ict, ["mahasiswa"])
        await broadcast(app, server)
        await app.publishing.record_evidence(code, ict, "instagram", "https://www.instagram.com/p/ISMKI/")
        state = await app.requests.get(code)
        assert state.status == Status.DONE  # the flow archives by itself

        path = await Archive(app.db, app.flow, app.files, app.settings.zone).export(code, tmp_path / "x.zip")
    finally:
        await app.close()
    assert path == tmp_path / "x.zip"
    archive, manifest = read_zip(path)
    files = check_files(archive, manifest)
    assert files == {
        "media/v1-1.jpg": ref.sha256, "media/v1-1-footer.jpg": ref.stamped_sha256,
        "caption-v1.txt": hashlib.sha256(content.caption.encode()).hexdigest(),
    }
    assert archive.read("media/v1-1.jpg") != archive.read("media/v1-1-footer.jpg")
    # what the subscriber received is the stamped copy, byte for byte
    photo = server.outputs[6001][-1]["photo"][-1]
    assert server.files[photo["file_id"]].data == archive.read("media/v1-1-footer.jpg")
    assert [e["act"] for e in manifest["events"]] == ["submit", "confirm", "approve", "publish", "archive",
                                                      "evidence"]
    assert manifest["evidence"] == [{"channel": "instagram", "url": "https://www.instagram.com/p/ISMKI/"}]
    assert {d["recipient"]: d["status"] for d in manifest["deliveries"]} == {
        "telegram:-1001001": "sent", "telegram:6001": "sent", "telegram:6002": "failed"}
    rows = html_rows(archive.read("record.html").decode())
    assert [r[:5] + r[7:8] for r in rows] == [
        ["1", *KIRIM, "Pemohon", "Sari", "Diajukan", "26-11-2026 09.00"],
        ["2", *KONFIRMASI, "Pemohon", "Sari", "Dikonfirmasi", "26-11-2026 10.00"],
        ["3", *QC, "ICT Nasional ISMKI", "Putri", "Disetujui", "26-11-2026 13.00"],
        ["4", *PUBLIKASI, "ICT Nasional ISMKI", "Putri", "Dipublikasikan", "26-11-2026 19.00"],
        ["4", *PUBLIKASI, "Sistem", "-", "Diarsipkan", "26-11-2026 19.00"],  # the flow archives by itself
    ]
    assert [[r[5], r[8], r[9]] for r in rows[1:4]] == [["1 hari", "1 jam", "tepat waktu"],
                                                      ["1 hari", "3 jam", "tepat waktu"],
                                                      ["1 hari", "6 jam", "tepat waktu"]]
