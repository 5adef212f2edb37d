import pytest

from bot.media import check_video, check_video_download, sniff_video

MB = 1024 * 1024
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41\x00\x00\x00\x08free"
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x08wide"
OLD_MOV = b"\x00\x00\x00\x08wide\x00\x12\x34\x56mdat"
WEBM = (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
        b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02")
MKV = WEBM.replace(b"\x84webm", b"\x88matroska")
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.mark.parametrize(
    ("head", "container"),
    [(MP4, "mp4"), (MOV, "mov"), (OLD_MOV, "mov"), (WEBM, "webm"), (MKV, "mkv"),
     (HEIC, "image"), (JPEG, "image"), (b"hello, this is text", None), (b"", None)],
)
def test_the_container_is_read_from_the_first_bytes(head, container):
    assert sniff_video(head) == container


def test_a_10_mb_mp4_fits_telegram_and_line():
    check = check_video(MP4, 10 * MB, ["telegram", "line", "instagram"])
    assert check.ok and check.container == "mp4" and check.errors == ()


def test_over_50_mb_cannot_be_posted_by_a_cloud_bot_but_can_by_a_self_hosted_one():
    [error] = check_video(MP4, 60 * MB, ["telegram"]).errors
    assert error.code == "telegram_upload_too_large" and error.channel == "telegram"
    assert "60.0 MB" in error.message_en and "50.0 MB" in error.message_en
    assert "60,0 MB" in error.message_id
    assert check_video(MP4, 60 * MB, ["telegram"], self_hosted_api=True).ok


def test_line_takes_mp4_up_to_200_mb_only():
    assert check_video(MP4, 200 * MB, ["line"]).ok
    [error] = check_video(MP4, 201 * MB, ["line"]).errors
    assert error.code == "line_video_too_large" and "200.0 MB" in error.message_en
    [error] = check_video(MOV, 5 * MB, ["line"]).errors
    assert error.code == "line_not_mp4" and "MOV" in error.message_en
    assert "MP4" in error.message_id


def test_a_webm_for_telegram_is_allowed_with_a_warning_that_it_will_not_play_inline():
    check = check_video(WEBM, 5 * MB, ["telegram"])
    assert check.ok and [w.code for w in check.warnings] == ["telegram_not_mp4"]


def test_a_non_video_is_refused_and_an_image_is_pointed_to_the_poster_route():
    [error] = check_video(b"PK\x03\x04 a zip file named video.mp4", 1000, ["telegram"]).errors
    assert error.code == "not_video" and "MP4" in error.message_en
    [error] = check_video(JPEG, 1000, ["telegram"]).errors
    assert error.code == "not_video_image" and "poster" in error.message_en
    assert not check_video(MP4, 0, ["telegram"]).ok  # an empty file


def test_a_cloud_bot_cannot_download_a_telegram_video_over_20_mb():
    [error] = check_video_download(25 * MB, "telegram")
    assert error.code == "telegram_download_too_large"
    assert "20.0 MB" in error.message_en and "link" in error.message_en
    assert "tautan" in error.message_id
    assert check_video_download(20 * MB, "telegram") == []
    assert check_video_download(1500 * MB, "telegram", self_hosted_api=True) == []
    assert check_video_download(2100 * MB, "telegram", self_hosted_api=True) != []


def test_line_intake_has_no_download_limit():
    assert check_video_download(300 * MB, "line") == []
