"""What goes into one LINE call, and how rows left in flight regroup into their batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.broadcast.line import MESSAGES_PER_CALL, TEXT_LIMIT, _resumable, messages_for, split_text
from bot.domain.request import Content, MediaRef
from bot.handlers.line.render import MediaUrls
from storage.files import FileStore

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def image(sha: str, stamped: str | None = None) -> MediaRef:
    return MediaRef(sha256=sha, kind="image", mime="image/jpeg", size=1, stamped_sha256=stamped)


def urls(public: str | None, key: bytes = b"") -> MediaUrls:
    return MediaUrls(public, FileStore(Path("/nonexistent")), key=key, clock=lambda: NOW)


def kinds(messages) -> list[str]:
    return [m.type for m in messages]


def test_poster_then_caption_with_the_stamped_file():
    content = Content(caption="Halo", media=[image("a" * 64, "b" * 64)])
    poster, text = messages_for(content, urls("https://humas.example.ac.id/", key=b"k" * 32))
    url = f"https://humas.example.ac.id/media/{'b' * 64}?e="
    assert poster.original_content_url == poster.preview_image_url
    assert poster.original_content_url.startswith(url) and "&s=" in poster.original_content_url
    assert text.text == "Halo"


def test_without_an_https_address_only_the_caption_goes():
    content = Content(caption="Halo", media=[image("a" * 64)])
    assert kinds(messages_for(content, urls(None))) == ["text"]
    assert kinds(messages_for(content, urls("http://10.0.0.5:8080"))) == ["text"]


def test_videos_are_not_sent_and_five_messages_at_most():
    video = MediaRef(sha256="v" * 64, kind="video", mime="video/mp4", size=1)
    posters = [image(str(i) * 64) for i in range(6)]
    content = Content(caption="x" * (TEXT_LIMIT * 2 + 10), media=[video, *posters])
    messages = messages_for(content, urls("https://h.example"))
    assert len(messages) == MESSAGES_PER_CALL
    assert kinds(messages) == ["image", "image", "text", "text", "text"]  # the caption is kept whole


def test_long_text_is_split_within_the_limit_at_a_space():
    words = " ".join(["kata"] * 3000)  # 14,999 characters
    parts = split_text(words, TEXT_LIMIT)
    assert [len(p) <= TEXT_LIMIT for p in parts] == [True] * len(parts) == [True, True, True]
    assert " ".join(parts) == words


def test_the_limit_counts_utf16_units():
    emoji = "🎉" * 3000  # 6,000 UTF-16 units, no space to cut at
    first, second = split_text(emoji, TEXT_LIMIT)
    assert (len(first), len(second)) == (2500, 500)
    assert split_text("  ", TEXT_LIMIT) == []


def row(row_id: int, key: str, recipient: str, retry_at: datetime | None = None, **result) -> dict:
    data = {"retry_key": key, "batch": f"7:{row_id}", "call": result.pop("call", "multicast"),
            "keyed_at": NOW.isoformat(), **result}
    if retry_at:
        data["retry_at"] = retry_at.isoformat()
    return {"id": row_id, "request_id": 3, "recipient": recipient, "payload": {"broadcast_id": 7},
            "result": data}


def test_rows_in_flight_regroup_by_key_and_wait_for_their_time():
    rows = [row(1, "k1", "line:U1"), row(2, "k1", "line:U2"),
            row(3, "k2", "line:U3", NOW + timedelta(seconds=30), passes=1, maybe_accepted=False),
            row(4, "k3", "line:*", call="broadcast")]
    batches = _resumable(rows, NOW)
    assert [(b.key, b.call, b.rows, b.to) for b in batches] == [
        ("k1", "multicast", [1, 2], ["U1", "U2"]), ("k3", "broadcast", [4], [])]
    assert batches[0].maybe_accepted  # a crash: LINE may have the call
    later = _resumable(rows, NOW + timedelta(seconds=30))
    assert [(b.key, b.passes, b.maybe_accepted) for b in later][1] == ("k2", 1, False)
