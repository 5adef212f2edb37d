"""A step's written output through the chat layer on a real SQLite file: BKK's article handed
in as a PDF and as typed text, the corrected text with the approval, what travels with the
request, what the archive keeps and what push-info posts. And the history every card is
rendered from, read in a fixed number of queries however long it grows."""

from __future__ import annotations

import json
import zipfile

import pytest

from bot.app import App
from bot.chat import callbacks
from bot.chat.approvals import Approvals
from bot.chat.callbacks import StepButton
from bot.chat.intake import Intake, Who
from bot.domain.engine import Act, Action
from bot.domain.request import Contact, Content, MediaRef
from bot.services.archive import Archive
from bot.services.publishing import posted
from storage import db as storage_db
from tests.e2e.bot_world import poster_bytes

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ARTICLE = "Palembang (26/11) - BKK Kelas I Palembang menggelar vaksinasi meningitis bagi calon jemaah umrah."


@pytest.fixture
async def bkk(settings, clock):
    app = await App.open(settings.model_copy(update={"flow": "bkk-palembang"}), clock=clock)
    people = {"client": await app.people.person("telegram", 1001, "Subbag Umum")}
    for role, tg, name in (("tim_ppid", 2001, "Pandu"), ("pranata_humas", 3001, "Rina"),
                           ("kepala_balai", 4001, "dr. Hadi")):
        await app.people.grant(role, "telegram", tg)
        people[role] = await app.people.person("telegram", tg, name)
    yield app, people
    await app.close()


def tap(app: App, state, act: Act, arg: str = "") -> str:
    index = [s.id for s in app.flow.request_steps].index(state.step_id)
    return callbacks.encode(StepButton(state.code, state.version, index, act, arg))


async def submitted(app: App, client: int) -> str:
    data = poster_bytes(1080, 1080)
    ref = MediaRef(sha256=app.files.put(data), kind="image", mime="image/jpeg", size=len(data))
    content = Content(title="Vaksinasi Jemaah Umrah", organisation="Subbag Umum", media=[ref],
                      caption="Data kegiatan vaksinasi", contact=Contact(name="Sari", phone="0812"))
    return (await app.requests.submit(client, content)).code


async def test_the_article_travels_with_the_request_is_archived_and_is_what_push_info_posts(bkk, tmp_path):
    app, people = bkk
    approvals = Approvals(app)
    code = await submitted(app, people["client"])
    await app.requests._do(code, Act.INSTRUCT, people["tim_ppid"], "telegram", note="Tulis 5W+1H")
    state = await app.requests.get(code)
    writer = people["pranata_humas"]

    asked = await approvals.on_tap(writer, "id", tap(app, state, Act.UPLOAD), "telegram")
    assert "ketik langsung di sini, atau kirim berkas .txt atau .docx; dokumen PDF" in asked.replies[0].text
    assert await approvals.wants_document(writer)
    poster = await approvals.on_file(writer, "id", poster_bytes(), "poster.jpg", "image/jpeg", "telegram")
    assert "tidak sesuai langkah ini" in poster.replies[0].text, "a poster is not the article"
    kept = await approvals.on_file(writer, "id", PDF, "berita.pdf", "application/pdf", "telegram")
    assert kept.decided is not None
    state = await app.requests.get(code)
    assert (state.step_id, state.version, [d.filename for d in state.content.documents]) == (
        "verifikasi", 2, ["berita.pdf"])

    await app.requests._do(code, Act.REJECT, people["tim_ppid"], "telegram", note="Tulis di chat saja")
    state = await app.requests.get(code)
    await approvals.on_tap(writer, "id", tap(app, state, Act.UPLOAD), "telegram")
    typed = await approvals.on_text(writer, "id", ARTICLE, "telegram")
    assert typed.decided is not None
    state = await app.requests.get(code)
    assert (state.content.text, state.version) == (ARTICLE, 3)

    ppid = people["tim_ppid"]
    asked = await approvals.on_tap(ppid, "id", tap(app, state, Act.APPROVE), "telegram")
    assert "Ketik - bila sudah benar" in asked.replies[0].text
    corrected = ARTICLE.replace("menggelar", "menyelenggarakan")
    await approvals.on_text(ppid, "id", corrected, "telegram")
    state = await app.requests.get(code)
    assert (state.step_id, state.version, state.content.text) == ("persetujuan", 4, corrected)
    assert posted(app.flow, state.content).caption == corrected, "the final text is the post's text"

    path = await Archive(app.db, app.flow, app.files, app.settings.zone).export(code, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("text-v3.txt").decode() == ARTICLE
        assert archive.read("text-v4.txt").decode() == corrected
        assert archive.read("documents/v2-1-berita.pdf") == PDF
        listed = {entry["path"] for entry in json.loads(archive.read("manifest.json"))["files"]}
    assert {"text-v4.txt", "documents/v2-1-berita.pdf"} <= listed


async def test_a_long_typed_text_split_by_telegram_is_held_and_joined(bkk):
    app, people = bkk
    approvals = Approvals(app)
    code = await submitted(app, people["client"])
    await app.requests._do(code, Act.INSTRUCT, people["tim_ppid"], "telegram", note="-")
    state = await app.requests.get(code)
    writer = people["pranata_humas"]
    await approvals.on_tap(writer, "id", tap(app, state, Act.UPLOAD), "telegram")
    first, second = "Paragraf. " * 409, "Penutup berita."  # 4,090 and 15 characters, as pasted
    held = await approvals.on_text(writer, "id", first.strip(), "telegram")
    assert "Bagian 1 diterima" in held.replies[0].text
    assert (await app.requests.get(code)).step_id == "penulisan", "nothing recorded yet"
    done = await approvals.on_text(writer, "id", second, "telegram")
    assert done.decided is not None
    assert (await app.requests.get(code)).content.text == f"{first.strip()}\n{second}"


async def test_the_dossier_takes_the_same_few_queries_however_long_the_history(bkk, monkeypatch):
    app, people = bkk
    code = await submitted(app, people["client"])
    queries: list[str] = []
    original = storage_db.Tx.all

    async def counted(self, sql, params=()):
        queries.append(sql)
        return await original(self, sql, params)

    monkeypatch.setattr(storage_db.Tx, "all", counted)
    short = await app.requests.dossier(code)
    first = len(queries)
    await app.requests._do(code, Act.INSTRUCT, people["tim_ppid"], "", note="Tulis")
    for _ in range(5):  # written, sent back by verification: five rounds
        state = await app.requests.get(code)
        await app.requests.act(code, Action(Act.UPLOAD, state.step_id, state.version, text="Berita"),
                               people["pranata_humas"])
        await app.requests._do(code, Act.REJECT, people["tim_ppid"], "", note="Perbaiki")
    queries.clear()
    long = await app.requests.dossier(code)
    assert len(long.entries) > len(short.entries) + 10
    assert len(queries) == first == 3, queries


async def test_a_held_text_is_saved_with_its_button_and_a_held_caption_with_lanjut(bkk):
    app, people = bkk
    approvals = Approvals(app)
    code = await submitted(app, people["client"])
    await app.requests._do(code, Act.INSTRUCT, people["tim_ppid"], "telegram", note="-")
    state = await app.requests.get(code)
    writer = people["pranata_humas"]
    await approvals.on_tap(writer, "id", tap(app, state, Act.UPLOAD), "telegram")
    whole = ("Berita lengkap. " * 300).strip()  # 4,799 characters: Telegram would split it
    held = await approvals.on_text(writer, "id", whole, "telegram")
    [[save]] = held.replies[0].buttons
    assert save.label == "💾 Simpan tulisan"
    saved = await approvals.on_tap(writer, "id", save.data, "telegram")
    assert saved.decided is not None
    assert (await app.requests.get(code)).content.text == whole

    intake = Intake(app)
    who = Who(people["client"], "id", "telegram")
    await intake.begin(who)
    for answer in ("Judul", "Organisasi"):
        await intake.on_text(who, answer)
    await intake.on_file(who, poster_bytes(1080, 1080), "poster.jpg", "image/jpeg")
    await intake.on_button(who, "next", "")
    caption = ("Caption panjang sekali. " * 170).strip()  # 4,079 characters
    part = await intake.on_text(who, caption)
    assert "Caption bagian 1 diterima (4079 karakter)" in part[0].text
    refused = await intake.on_button(who, "part", "")  # Lanjut: the whole caption, over BKK's limit
    assert refused[0].text.startswith("Caption 4079 karakter, melebihi batas telegram (1024)")
    assert refused[1].text.startswith("4. Tulis caption"), "asked again, the held part dropped"
    asked = await intake.on_text(who, "Caption pendek.")
    assert asked[0].text.startswith("5. Contact person")
    draft = await intake._load(who.person_id)
    assert draft.data["caption"] == "Caption pendek." and "caption_part" not in draft.data
