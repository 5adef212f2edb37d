"""The monev report as one PNG for a chat or a slide: Pillow only, the shipped DejaVu fonts.

Top to bottom: a title band (office, flow, period); tiles with the request counts; one row per
step with its actual times as a bullet bar (light bar: p90, dark bar: median) against the
step's standard (the dark marker line); the steps most often late; channels and deliveries.

Each step's bars are drawn against that step's own standard, so the marker stands at the same
place in every row: left of it is within the standard. A step without a standard is scaled
to its own p90 and drawn grey. Bars are coloured by the share of actions on time.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageColor, ImageDraw, ImageFont

from bot.domain.dates import long_date
from bot.media.footer import BOLD_FONT, REGULAR_FONT
from bot.services.monev import Report, StepStats, share_level, short_duration

WIDTH = 1200
SCALE = 2  # drawn at twice the size, then reduced: smooth edges without anti-aliasing support
PAD = 32
TITLE_H, TILE_H, ROW_H, HEAD_H = 92, 104, 80, 28
LABEL_X, BAR_X, BAR_W, STATS_X = PAD, 436, 480, 940
MAX_RATIO = 2.5  # a bar spans 0 .. 2.5 x the standard; longer ones are cut with a mark
MARK_X = BAR_X + BAR_W / MAX_RATIO

NAVY, INK, GREY, LINE, BG, WHITE = "#1f2a44", "#1f2937", "#6b7280", "#e5e7eb", "#f4f6f9", "#ffffff"
LEVEL = {"good": "#2e9d5b", "fair": "#e8a317", "poor": "#d64545", "none": "#7a8699"}
LATE_BG = "#fdeeee"

_WORDS = {
    "id": {
        "title": "Monev Publikasi", "received": "Diterima", "approved": "Disetujui", "rejected": "Ditolak",
        "returned": "Dikembalikan", "on_time": "Tepat waktu", "open": "{c} dibatalkan · {o} berjalan",
        "of_received": "{pct} dari yang masuk", "times": "kali revisi",
        "of_actions": "{n} dari {of} tindakan",
        "median": "median", "p90": "p90 (persentil ke-90)", "standard": "mutu baku",
        "good": "≥ 80% tepat waktu", "fair": "50–79%", "poor": "< 50%",
        "col_step": "LANGKAH", "col_bar": "WAKTU AKTUAL TERHADAP MUTU BAKU", "col_share": "TEPAT WAKTU",
        "actions": "{n} tindakan", "no_data": "belum ada tindakan yang diukur",
        "no_standard": "tanpa mutu baku", "late_title": "Paling sering terlambat",
        "late_badge": "TERLAMBAT #{rank}", "none_late": "Tidak ada langkah yang terlambat.",
        "late_line": "langkah {n} · {late} dari {of} terlambat · p90 {p90} (baku {std})",
        "channels": "Kanal publikasi", "deliveries": "Penyebaran push-info", "nothing": "belum ada",
        "sent": "terkirim", "failed": "gagal", "unknown": "tidak diketahui", "to": "s.d.",
        "note": "Median dan p90 dengan metode peringkat terdekat (nearest-rank); waktu dihitung sejak "
                "tindakan sebelumnya.",
    },
    "en": {
        "title": "Publication monitoring", "received": "Received", "approved": "Approved",
        "rejected": "Rejected", "returned": "Returned", "on_time": "On time",
        "open": "{c} cancelled · {o} open", "of_received": "{pct} of received", "times": "revisions",
        "of_actions": "{n} of {of} actions", "median": "median", "p90": "p90 (90th percentile)",
        "standard": "standard", "good": "≥ 80% on time", "fair": "50–79%", "poor": "< 50%",
        "col_step": "STEP", "col_bar": "ACTUAL TIME AGAINST THE STANDARD", "col_share": "ON TIME",
        "actions": "{n} actions", "no_data": "no timed actions yet", "no_standard": "no standard",
        "late_title": "Most often late", "late_badge": "LATE #{rank}", "none_late": "No step was late.",
        "late_line": "step {n} · {late} of {of} late · p90 {p90} (standard {std})",
        "channels": "Publication channels", "deliveries": "Push-info deliveries", "nothing": "none yet",
        "sent": "sent", "failed": "failed", "unknown": "unknown", "to": "to",
        "note": "Median and p90 by the nearest-rank method; times run from the previous action.",
    },
}


@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD_FONT if bold else REGULAR_FONT), size)


def _tint(colour: str, amount: float = 0.6) -> tuple[int, int, int]:
    """The colour mixed with white: 0 is the colour, 1 is white."""
    r, g, b = ImageColor.getrgb(colour)[:3]
    return tuple(round(c + (255 - c) * amount) for c in (r, g, b))  # type: ignore[return-value]


class _Canvas:
    """Draws in logical pixels on an image SCALE times larger."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.image = Image.new("RGB", (width * SCALE, height * SCALE), BG)
        self.draw = ImageDraw.Draw(self.image)

    def box(self, x0: float, y0: float, x1: float, y1: float, fill, radius: float = 0, outline=None) -> None:
        if x1 > x0 and y1 > y0:
            xy = [x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE]
            self.draw.rounded_rectangle(xy, radius * SCALE, fill=fill, outline=outline, width=SCALE)

    def line(self, x0: float, y0: float, x1: float, y1: float, fill, width: float = 1) -> None:
        xy = [x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE]
        self.draw.line(xy, fill=fill, width=round(width * SCALE))

    def text(self, x: float, y: float, text: str, size: int, fill, bold: bool = False,
             anchor: str = "la") -> None:
        self.draw.text((x * SCALE, y * SCALE), text, font=_font(bold, size * SCALE), fill=fill, anchor=anchor)

    def width(self, text: str, size: int, bold: bool = False) -> float:
        return _font(bold, size * SCALE).getlength(text) / SCALE

    def fit(self, text: str, size: int, width: float, bold: bool = False) -> str:
        """The text, cut with an ellipsis where it would be wider than `width`."""
        if self.width(text, size, bold) <= width:
            return text
        while text and self.width(text + "…", size, bold) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def png(self) -> bytes:
        out = io.BytesIO()
        # zlib level 6 without optimize: a tenth larger, several times faster to write
        self.image.resize(self.size, Image.Resampling.LANCZOS).save(out, "PNG", compress_level=6)
        return out.getvalue()


def render_chart(report: Report, lang: str = "id") -> bytes:
    """The report as PNG bytes, WIDTH pixels wide, as tall as its steps need."""
    w = _WORDS[lang if lang in _WORDS else "id"]
    late = report.most_late()
    late_h = 52 + 30 * max(1, len(late))
    rows_top = TITLE_H + 20 + TILE_H + 20 + 34 + HEAD_H
    rows_h = ROW_H * max(1, len(report.steps))
    height = rows_top + rows_h + 20 + late_h + 16 + 92 + 40
    canvas = _Canvas(WIDTH, height)
    _title(canvas, report, w, lang)
    _tiles(canvas, report, w, TITLE_H + 20)
    _legend(canvas, w, TITLE_H + 20 + TILE_H + 20)
    _rows(canvas, report, late, w, lang, rows_top)
    y = rows_top + rows_h + 20
    _late(canvas, late, w, lang, y, late_h)
    _channels_and_deliveries(canvas, report, w, y + late_h + 16)
    canvas.text(PAD, height - 28, w["note"], 11, GREY)
    return canvas.png()


def _title(canvas: _Canvas, report: Report, w: dict, lang: str) -> None:
    canvas.box(0, 0, WIDTH, TITLE_H, NAVY)
    title = f"{w['title']} · {report.office}"
    canvas.text(PAD, 20, canvas.fit(title, 26, WIDTH - 2 * PAD, bold=True), 26, WHITE, bold=True)
    period = f"{long_date(report.start, lang)} {w['to']} {long_date(report.end, lang)}"
    subtitle = canvas.fit(f"{report.title.get(lang)} · {period}", 15, WIDTH - 2 * PAD)
    canvas.text(PAD, 58, subtitle, 15, "#c9d1e3")


def _tiles(canvas: _Canvas, report: Report, w: dict, top: int) -> None:
    overall = report.on_time
    share = overall.on_time_share
    received = report.received or 1
    tiles = [
        (w["received"], str(report.received), NAVY,
         w["open"].format(c=report.cancelled, o=report.still_open)),
        (w["approved"], str(report.approved), LEVEL["good"],
         w["of_received"].format(pct=f"{report.approved / received:.0%}")),
        (w["rejected"], str(report.rejected), LEVEL["poor"],
         w["of_received"].format(pct=f"{report.rejected / received:.0%}")),
        (w["returned"], str(report.returned), LEVEL["fair"], w["times"]),
        (w["on_time"], "-" if share is None else f"{share:.0%}", LEVEL[share_level(share)],
         w["of_actions"].format(n=overall.on_time, of=overall.with_standard)),
    ]
    gap = 16
    tile_w = (WIDTH - 2 * PAD - gap * (len(tiles) - 1)) / len(tiles)
    for i, (label, value, colour, sub) in enumerate(tiles):
        x = PAD + i * (tile_w + gap)
        canvas.box(x, top, x + tile_w, top + TILE_H, WHITE, 10, outline=LINE)
        canvas.box(x, top + 10, x + 5, top + TILE_H - 10, colour, 2)
        canvas.text(x + 20, top + 14, label, 14, GREY)
        canvas.text(x + 20, top + 34, value, 36, colour, bold=True)
        canvas.text(x + 20, top + 80, canvas.fit(sub, 12, tile_w - 28), 12, GREY)


def _legend(canvas: _Canvas, w: dict, top: int) -> None:
    x, cy = PAD, top + 10
    canvas.box(x, cy - 5, x + 28, cy + 5, LEVEL["good"], 3)
    x = _legend_label(canvas, x + 36, cy, w["median"])
    canvas.box(x, cy - 9, x + 28, cy + 9, _tint(LEVEL["good"]), 4)
    x = _legend_label(canvas, x + 36, cy, w["p90"])
    canvas.line(x + 6, cy - 11, x + 6, cy + 11, NAVY, 3)
    x = _legend_label(canvas, x + 18, cy, w["standard"]) + 12
    for level in ("good", "fair", "poor"):
        canvas.box(x, cy - 7, x + 14, cy + 7, LEVEL[level], 3)
        x = _legend_label(canvas, x + 20, cy, w[level])


def _legend_label(canvas: _Canvas, x: float, cy: float, text: str) -> float:
    canvas.text(x, cy, text, 13, INK, anchor="lm")
    return x + canvas.width(text, 13) + 24


def _rows(canvas: _Canvas, report: Report, late: list[StepStats], w: dict, lang: str, top: int) -> None:
    header = top - HEAD_H + 6
    for x, key in ((LABEL_X, "col_step"), (BAR_X, "col_bar"), (STATS_X, "col_share")):
        canvas.text(x, header, w[key], 11, GREY, bold=True)
    ranks = {s.step_id: i for i, s in enumerate(late, start=1)}
    canvas.box(PAD - 8, top, WIDTH - PAD + 8, top + ROW_H * max(1, len(report.steps)), WHITE, 10, LINE)
    for i, stats in enumerate(report.steps):
        _row(canvas, stats, ranks.get(stats.step_id), w, lang, top + i * ROW_H, first=i == 0)


def _row(canvas: _Canvas, s: StepStats, rank: int | None, w: dict, lang: str, top: float,
         first: bool) -> None:
    level = share_level(s.timing.on_time_share)
    if rank:  # a tinted inset card with a red edge
        canvas.box(PAD - 3, top + 3, WIDTH - PAD + 3, top + ROW_H - 3, LATE_BG, 8)
        canvas.box(PAD - 3, top + 10, PAD + 1, top + ROW_H - 10, LEVEL["poor"], 2)
    if not first:
        canvas.line(PAD, top, WIDTH - PAD, top, LINE)
    _step_label(canvas, s, rank, level, w, lang, top)
    _bars(canvas, s, level, w, lang, top)
    _share(canvas, s, level, w, lang, top)


def _step_label(canvas: _Canvas, s: StepStats, rank: int | None, level: str, w: dict, lang: str,
                top: float) -> None:
    canvas.box(LABEL_X + 2, top + 14, LABEL_X + 30, top + 42, LEVEL[level], 14)
    canvas.text(LABEL_X + 16, top + 28, str(s.number), 14, WHITE, bold=True, anchor="mm")
    x, room = LABEL_X + 42, BAR_X - LABEL_X - 62
    lines = _name_lines(canvas, s.name.get(lang), room)
    size = 16 if len(lines) == 1 else 14
    for i, line in enumerate(lines):
        canvas.text(x, top + (16 if size == 16 else 6 + 18 * i), line, size, INK, bold=True)
    sub_y = top + (50 if size == 16 else 56)
    badge = w["late_badge"].format(rank=rank) if rank else ""
    count = f" · {w['actions'].format(n=s.timing.count)}"
    room -= canvas.width(count, 13) + (canvas.width(badge, 11, True) + 24 if badge else 0)
    sub = canvas.fit(s.role_name.get(lang), 13, room) + count
    canvas.text(x, sub_y, sub, 13, GREY, anchor="lm")
    if badge:
        x += canvas.width(sub, 13) + 12
        canvas.box(x, sub_y - 9, x + canvas.width(badge, 11, True) + 14, sub_y + 9, LEVEL["poor"], 9)
        canvas.text(x + 7, sub_y, badge, 11, WHITE, bold=True, anchor="lm")


def _name_lines(canvas: _Canvas, name: str, width: float) -> list[str]:
    """One line at 16 px if it fits, else two at 14 px, the second cut if need be."""
    if canvas.width(name, 16, True) <= width:
        return [name]
    words, first = name.split(), ""
    while words and canvas.width(f"{first} {words[0]}".strip(), 14, True) <= width:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one very long word
        return [canvas.fit(name, 14, width, True)]
    return [first, canvas.fit(" ".join(words), 14, width, True)] if words else [first]


def _bars(canvas: _Canvas, s: StepStats, level: str, w: dict, lang: str, top: float) -> None:
    cy, t = top + ROW_H / 2 + 4, s.timing
    if not t.count:
        canvas.text(BAR_X, cy, w["no_data"], 13, GREY, anchor="lm")
        return
    unit = s.standard_seconds or max(t.p90_seconds or 1, 1) / (0.8 * MAX_RATIO)  # seconds per marker
    colour = LEVEL[level]
    for seconds, half, fill in ((t.p90_seconds, 13, _tint(colour)), (t.median_seconds, 6, colour)):
        end = BAR_X + max(3, BAR_W * min((seconds or 0) / unit, MAX_RATIO) / MAX_RATIO)
        canvas.box(BAR_X, cy - half, end, cy + half, fill, min(half, 6))
    if (t.p90_seconds or 0) / unit > MAX_RATIO:  # cut: the bar runs on past the chart
        canvas.text(BAR_X + BAR_W + 3, cy, "»", 20, colour, bold=True, anchor="lm")
    if s.standard_seconds:
        canvas.line(MARK_X, cy - 20, MARK_X, cy + 20, NAVY, 3)
        canvas.text(MARK_X + 6, cy - 24, short_duration(s.standard_seconds, lang), 11, NAVY, anchor="ls")
    else:
        canvas.text(BAR_X + BAR_W, cy - 24, w["no_standard"], 11, GREY, anchor="rs")


def _share(canvas: _Canvas, s: StepStats, level: str, w: dict, lang: str, top: float) -> None:
    t, share = s.timing, s.timing.on_time_share
    value = "-" if share is None else f"{share:.0%}"
    canvas.text(STATS_X, top + 12, value, 22, LEVEL[level], bold=True)
    if not t.count:
        return
    if t.with_standard:
        x = STATS_X + canvas.width(value, 22, True) + 10
        canvas.text(x, top + 21, f"({t.on_time}/{t.with_standard})", 12, GREY)
    canvas.text(STATS_X, top + 44, f"{w['median']} {short_duration(t.median_seconds, lang)}", 12, INK)
    canvas.text(STATS_X, top + 60, f"p90 {short_duration(t.p90_seconds, lang)}", 12, INK)


def _late(canvas: _Canvas, late: list[StepStats], w: dict, lang: str, top: float, height: float) -> None:
    canvas.box(PAD - 8, top, WIDTH - PAD + 8, top + height, WHITE, 10, LINE)
    canvas.text(PAD + 8, top + 16, w["late_title"], 16, INK, bold=True)
    if not late:
        canvas.text(PAD + 8, top + 50, w["none_late"], 13, LEVEL["good"])
        return
    for i, s in enumerate(late, start=1):
        y = top + 46 + (i - 1) * 30
        canvas.box(PAD + 8, y, PAD + 32, y + 22, LEVEL["poor"], 11)
        canvas.text(PAD + 20, y + 11, str(i), 12, WHITE, bold=True, anchor="mm")
        name = canvas.fit(s.name.get(lang), 14, 520, bold=True)
        canvas.text(PAD + 44, y + 11, name, 14, INK, bold=True, anchor="lm")
        t = s.timing
        detail = w["late_line"].format(n=s.number, late=t.late, of=t.with_standard,
                                       p90=short_duration(t.p90_seconds, lang),
                                       std=short_duration(s.standard_seconds, lang))
        canvas.text(PAD + 44 + canvas.width(name, 14, True) + 14, y + 11, detail, 13, GREY, anchor="lm")


def _channels_and_deliveries(canvas: _Canvas, report: Report, w: dict, top: float) -> None:
    half = (WIDTH - 2 * PAD - 16) / 2
    channels = [(f"{name} {count}", NAVY) for name, count in report.channels.items()]
    d = report.deliveries
    sent = [(f"{d.get(k, 0)} {w[k]}", LEVEL[lvl]) for k, lvl in
            (("sent", "good"), ("failed", "poor"), ("unknown", "fair"))] if any(d.values()) else []
    for x, title, chips in ((PAD - 8, w["channels"], channels), (PAD + half + 24, w["deliveries"], sent)):
        canvas.box(x, top, x + half, top + 92, WHITE, 10, LINE)
        canvas.text(x + 16, top + 16, title, 15, INK, bold=True)
        _chips(canvas, chips or [(w["nothing"], GREY)], x + 16, top + 60, x + half - 16)


def _chips(canvas: _Canvas, chips: list[tuple[str, str]], x: float, cy: float, right: float) -> None:
    """Pills left to right; those that do not fit become one "+N" pill."""
    for i, (text, colour) in enumerate(chips):
        rest = len(chips) - i - 1
        reserve = canvas.width(f"+{rest}", 13, True) + 30 if rest else 0
        if x + canvas.width(text, 13, True) + 22 + reserve > right:
            _chip(canvas, f"+{rest + 1}", GREY, x, cy)
            return
        x = _chip(canvas, text, colour, x, cy)


def _chip(canvas: _Canvas, text: str, colour: str, x: float, cy: float) -> float:
    width = canvas.width(text, 13, True) + 22
    canvas.box(x, cy - 13, x + width, cy + 13, _tint(colour, 0.85), 13)
    canvas.text(x + 11, cy, text, 13, colour, bold=True, anchor="lm")
    return x + width + 8
