import pytest

from bot.domain.captions import check_caption, count_hashtags, x_weighted_length


def codes(issues):
    return [(issue.channel, issue.code) for issue in issues]


def test_a_short_caption_passes_every_channel():
    channels = ["telegram", "line", "instagram", "x", "website"]
    assert check_caption("Seminar kesehatan 12 Mei #ISMKISATU", channels) == []


def test_telegram_caption_over_1024_is_reported_with_both_numbers():
    [issue] = check_caption("a" * 1030, ["telegram"])
    assert (issue.channel, issue.code, issue.limit, issue.measured) == (
        "telegram", "too_long", 1024, 1030
    )
    assert "1.030 dari 1.024" in issue.message_id and "pendekkan 6" in issue.message_id
    assert "1,030 of 1,024" in issue.message_en and "cut 6" in issue.message_en


def test_telegram_counts_an_emoji_as_two_utf16_units():
    text = "a" * 1023 + "\N{GRINNING FACE}"  # 1,024 code points but 1,025 UTF-16 units
    [issue] = check_caption(text, ["telegram"])
    assert issue.measured == 1025


def test_exactly_at_the_limit_is_fine():
    assert check_caption("a" * 1024, ["telegram"]) == []
    assert check_caption("a" * 5000, ["line"]) == []
    assert check_caption("a" * 2200, ["instagram"]) == []
    assert check_caption("a" * 280, ["x"]) == []


def test_line_allows_5000_and_instagram_2200():
    text = "b" * 2500
    assert codes(check_caption(text, ["line", "instagram"])) == [("instagram", "too_long")]
    assert codes(check_caption("b" * 5001, ["line"])) == [("line", "too_long")]


def test_instagram_allows_at_most_five_hashtags():
    five = "#satu #dua #tiga #empat #lima"
    assert check_caption(five, ["instagram"]) == []
    [issue] = check_caption(five + " #enam #tujuh", ["instagram"])
    assert (issue.code, issue.limit, issue.measured) == ("too_many_hashtags", 5, 7)
    assert "Hapus 2 tagar" in issue.message_id and "Remove 2" in issue.message_en


def test_hashtag_count_ignores_numbers_anchors_and_entities():
    assert count_hashtags("#ISMKISATU nomor #1 C#sharp &#39; ##dobel #ismki_2024") == 2


def test_hashtags_do_not_matter_on_other_channels():
    tags = " ".join(f"#tag{i}" for i in range(10))
    assert check_caption(tags, ["telegram", "line"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("日本語", 6),  # CJK counts 2
        ("a\N{GRINNING FACE}b", 4),  # emoji counts 2
        ("\U0001F468\u200d\U0001F469\u200d\U0001F467", 2),  # a ZWJ family is one emoji
        ("\U0001F44D\U0001F3FD", 2),  # skin tone joins the emoji
        ("\U0001F1EE\U0001F1E9", 2),  # a flag
        ("see https://example.com/a/very/long/path/that/goes/on.", 4 + 23 + 1),
        ("www.ismki.org", 23),
        ("humas@ismki.org", 15),  # an e-mail address is not a link
        ("café", 4),  # Latin with accents counts 1
        ("“quoted” – dash", 15),  # general punctuation in the light ranges counts 1
    ],
)
def test_x_weighted_length(text, expected):
    assert x_weighted_length(text) == expected


def test_x_limit_uses_the_weighted_length():
    text = "日" * 141  # 141 characters, but 282 as X counts them
    [issue] = check_caption(text, ["x"])
    assert (issue.channel, issue.limit, issue.measured) == ("x", 280, 282)
    assert "X" in issue.message_en


def test_a_long_url_still_fits_on_x():
    text = "Daftar: https://www.ismki.org/" + "p" * 400
    assert check_caption(text, ["x"]) == []


def test_one_warning_per_channel_and_unknown_channels_have_no_limit():
    text = "c" * 6000
    issues = check_caption(text, ["TELEGRAM", "line", "instagram", "x", "website", "telegram"])
    assert [issue.channel for issue in issues] == ["telegram", "line", "instagram", "x"]
    assert check_caption(text, ["website", "youtube", "ismki_app", "facebook"]) == []


def test_messages_are_bilingual_and_name_the_channel():
    [issue] = check_caption("d" * 2300, ["instagram"])
    assert issue.message("id").startswith("Keterangan terlalu panjang untuk Instagram")
    assert issue.message("en").startswith("The caption is too long for Instagram")
