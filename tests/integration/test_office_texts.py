"""Texts that read as written by the office: questions numbered as the flow asks them, an
example date that is never in the past, "gambar" not "image", a too-big poster called a
poster, the note a disposition or instruction asks for."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.chat import callbacks
from bot.chat.approvals import Approvals
from bot.chat.callbacks import StepButton
from bot.chat.intake import Intake, describe
from bot.domain.engine import Act
from bot.domain.intake import FIELDS, Draft
from bot.domain.request import Content, MediaRef
from bot.media.video import check_video_download

MB = 1024 * 1024


@pytest.fixture
async def unej(settings, clock):
    app = await App.open(settings.model_copy(update={"flow": "unej"}), clock=clock)
    yield app
    await app.close()


def asked(intake: Intake, question: str) -> str:
    return intake.ask(Draft(question), "id")[0].text


async def test_questions_are_numbered_as_the_flow_asks_them(unej, app):
    unej_asks = [asked(Intake(unej), q) for q in FIELDS if q != "slot"]  # unej has no windows
    assert [text.split(".")[0] for text in unej_asks] == ["1", "2", "3", "4", "5", "6", "7"]
    assert unej_asks[-1].startswith("7. Catatan khusus")
    assert asked(Intake(app), "notes").startswith("8. Catatan khusus"), "the default flow asks the slot"


async def test_the_example_date_is_computed_and_never_in_the_past(unej, clock):
    for days in (0, 400):
        clock.advance(timedelta(days=days))
        text = asked(Intake(unej), "publish_date")
        today = clock.now().astimezone(unej.settings.zone).date()
        example = (today + timedelta(days=7)).strftime("%d-%m-%Y")
        assert f"(mis. {example})" in text and "28-11-2026" not in text.replace(example, "")


def test_media_kinds_are_named_in_indonesian():
    poster = MediaRef(sha256="a" * 64, kind="image", mime="image/jpeg", size=1, width=1080, height=1350)
    assert "Poster/video: gambar 1080×1350" in describe(Content(media=[poster]), "id")
    assert "Poster or video: image 1080×1350" in describe(Content(media=[poster]), "en")


def test_a_too_big_image_is_refused_as_an_image():
    [issue] = check_video_download(25 * MB, "telegram", kind="image")
    assert issue.message("id").startswith("Gambar 25") and "video" not in issue.message("id").lower()
    [issue] = check_video_download(25 * MB, "telegram")
    assert issue.message("id").startswith("Video 25")


async def test_a_disposition_asks_for_a_disposition_note(unej, clock):
    await unej.people.grant("wakil_rektor_3", "telegram", 2001)
    rector = await unej.people.person("telegram", 2001, "Prof. Andi")
    client = await unej.people.person("telegram", 1001, "Sari")
    poster = MediaRef(sha256="a" * 64, kind="image", mime="image/jpeg", size=1, width=1080, height=1080)
    state = await unej.requests.submit(client, Content(title="T", organisation="O", media=[poster],
                                                       caption="C", contact={"name": "Sari", "phone": "08"}))
    tap = callbacks.encode(StepButton(state.code, 1, 0, Act.DISPOSE))
    result = await Approvals(unej).on_tap(rector, "id", tap, "telegram")
    assert result.replies[0].text.startswith(f"Tulis catatan disposisi untuk {state.code}")
    assert "didisposisikan" not in result.replies[0].text


async def test_a_holders_welcome_numbers_steps_as_the_sop_rows(settings, clock):
    from bot.chat.welcome import holder_note

    app = await App.open(settings.model_copy(update={"flow": "ub-fisip"}), clock=clock)
    try:
        note = holder_note(app, {"staf_kehumasan"}, "id").text
    finally:
        await app.close()
    assert "di langkah 2 dari 11: Staf Kehumasan membuat konsep konten" in note
    assert "1 dari" not in note, "row 1 is the procedure's own, not a request's step"
