"""The SOP record of one request as an A4 sheet to print, sign and file, as offices file the
paper disposition sheet: the office, the SOP's title and number, the request, then one row per
act with its actor, time standard, deadline, when it was done, the verdict, the note and an
empty column for the official's signature (paraf).

Drawn with fpdf2 in DejaVu Sans (shipped in bot/media/fonts), which has every letter of
Indonesian and the dashes and quotes people type.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.domain.flow import Flow
from bot.domain.record import StepRecord
from bot.domain.request import RequestState
from bot.i18n import t
from bot.services.archive import sheet_rows

FONT = "DejaVu"
HEADINGS = ("No", "Kegiatan", "Pelaksana", "Nama", "Tindakan", "Mutu baku", "Batas waktu", "Selesai",
            "Waktu kerja", "Ketepatan", "Catatan", "Paraf")
# Column widths as shares of the page's width (landscape A4, 277 mm inside the margins)
WIDTHS = (8, 44, 24, 26, 24, 14, 19, 19, 14, 21, 44, 20)


class _Sheet(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self._footer = footer
        fonts = resources.files("bot.media") / "fonts"
        self.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=14)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.cell(0, 4, f"{self._footer}  ·  {self.page_no()}/{{nb}}", align="R")


def render_record(flow: Flow, state: RequestState, record: list[StepRecord], zone: ZoneInfo,
                  submitted: datetime, printed: datetime | None = None) -> bytes:
    """The PDF's bytes."""
    printed = printed or datetime.now(zone)
    pdf = _Sheet(f"{state.code} · dicetak {printed.astimezone(zone):%d-%m-%Y %H.%M} WIB · humas-bot")
    pdf.set_title(f"Rekam jejak SOP {state.code}")
    pdf.set_author(flow.office)
    pdf.add_page()
    _heading(pdf, flow)
    _request(pdf, state, submitted, zone)
    _table(pdf, sheet_rows(record, zone))
    _signatures(pdf, flow)
    return bytes(pdf.output())


def _heading(pdf: FPDF, flow: Flow) -> None:
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, flow.office, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    number = f"SOP {flow.sop_number}: " if flow.sop_number else "SOP: "
    pdf.multi_cell(0, 6, number + flow.title.id, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 5, "Rekam jejak pelaksanaan SOP (lembar disposisi)", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _request(pdf: FPDF, state: RequestState, submitted: datetime, zone: ZoneInfo) -> None:
    content = state.content
    facts = [
        ("Kode", f"{state.code} (versi {state.version}); status: {t(f'status.{state.status}')}"),
        ("Perihal", content.subject_line()),
        ("Judul / organisasi", f"{content.title} / {content.organisation}"),
        ("Narahubung", content.contact.label() if content.contact else "-"),
        ("Diajukan", f"{submitted.astimezone(zone):%d-%m-%Y %H.%M} WIB"),
    ]
    if content.publish_date:
        facts.append(("Tanggal publikasi", f"{content.publish_date:%d-%m-%Y} {content.slot}".strip()))
    with pdf.table(col_widths=(38, 239), width=277, align="LEFT", first_row_as_headings=False,
                   borders_layout="NONE", line_height=4.6, text_align="LEFT") as table:
        for label, value in facts:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD", size_pt=9))
            row.cell(value, style=FontFace(size_pt=9))
    pdf.ln(3)


def _table(pdf: FPDF, rows: list[list[str]]) -> None:
    pdf.set_font(FONT, size=7.5)
    headings = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
    with pdf.table(col_widths=WIDTHS, width=277, line_height=3.6, text_align="LEFT", padding=1,
                   headings_style=headings, repeat_headings=1, v_align="TOP") as table:
        heading = table.row()
        for name in HEADINGS:
            heading.cell(name)
        for cells in rows:
            row = table.row()
            for cell in [*cells, ""]:
                row.cell(cell or "")


def _signatures(pdf: FPDF, flow: Flow) -> None:
    """Room for the head of the office to acknowledge the record."""
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(6)
    head = flow.role_name(flow.report_to) if flow.report_to else "Pimpinan"
    pdf.set_font(FONT, size=9)
    pdf.set_x(200)
    pdf.cell(80, 5, "Mengetahui,", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(200)
    pdf.cell(80, 5, head, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    pdf.set_x(200)
    pdf.cell(70, 5, "(" + " " * 50 + ")", border="T", new_x="LMARGIN", new_y="NEXT")
