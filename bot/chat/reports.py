"""Monev in chat: `/laporan [bulan]` for the roles that receive reports, `/laporan KODE` for a
request's SOP record as a PDF to print and sign, and the monthly report the head role (and the
SOP's evaluating role, with its buttons) gets by itself on the first working day of the month.

The monthly report is rendered once, when it is queued by the deadline loop, and kept in the
file store; the notifier only reads it back, so a slow report never holds up other notices.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta

from bot.app import App
from bot.chat.replies import Button, Reply
from bot.domain.dates import MONTHS, long_date
from bot.domain.request import MediaRef
from bot.i18n import LANGUAGES, t
from bot.reports.chart import render_chart
from bot.services.archive import Archive
from bot.services.evaluation import Evaluations, evaluation_steps, evaluator_roles, period_of
from bot.services.monev import Report, monev
from bot.services.people import ADMIN
from bot.services.requests import UnknownRequest

CODE = re.compile(r"^PUB-\d{4}-\d{4,}$", re.I)
THIS_MONTH = ("bulan ini", "this month", "ini")
LAST_MONTH = ("bulan lalu", "last month", "lalu", "")


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    return start, (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse_month(text: str, today: date) -> tuple[date, date] | None:
    """The month meant: "2026-11", "11-2026", "11/2026", "November 2026", "nov 2026",
    "bulan ini" / "this month", "bulan lalu" / "last month" (also nothing); None otherwise."""
    words = " ".join(text.strip().lower().split())
    if words in LAST_MONTH:
        return last_month(today)
    if words in THIS_MONTH:
        return month_bounds(today.year, today.month)
    found = (re.fullmatch(r"(\d{4})[-/.](\d{1,2})", words) or re.fullmatch(r"(\d{1,2})[-/.](\d{4})", words)
             or re.fullmatch(r"([a-z]+)\.?\s+(\d{4})", words))
    if found is None:
        return None
    first, second = found.groups()
    if first.isalpha():
        month, year = MONTHS.get(first), int(second)
    else:
        year, month = (int(first), int(second)) if len(first) == 4 else (int(second), int(first))
    if month is None or not 1 <= month <= 12:
        return None
    return month_bounds(year, month)


def report_roles(app: App) -> set[str]:
    """Who may read reports: the head role, the supervisor, the SOP's evaluating role, admins."""
    roles = {app.flow.report_to, app.flow.supervisor, ADMIN} | evaluator_roles(app.flow)
    return {role for role in roles if role}


def role_label(app: App, role: str, lang: str) -> str:
    return "Admin" if role == ADMIN else app.flow.role_name(role, lang)


class Reports:
    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def evaluations(self) -> Evaluations:
        return Evaluations(self.app.db, self.app.flow, self.app.clock, self.app.requests.calendar)

    def today(self) -> date:
        return self.app.clock.now().astimezone(self.app.settings.zone).date()

    async def laporan(self, person_id: int, lang: str, text: str = "") -> Reply:
        """A month's report (last month by default), or one request's SOP record as a PDF."""
        roles = await self.app.people.roles_of(person_id)
        allowed = report_roles(self.app)
        if not roles & allowed:
            names = ", ".join(role_label(self.app, r, lang) for r in sorted(allowed))
            return Reply(t("report.not_allowed", lang, roles=names))
        if CODE.match(text.strip()):
            return await self.record_pdf(text.strip().upper(), lang)
        period = parse_month(text, self.today())
        if period is None:
            return Reply(t("report.bad_month", lang, given=text.strip()))
        reply = await self.render(*period, lang)
        if roles & evaluator_roles(self.app.flow):
            return Reply(reply.text, evaluation_buttons(self.app, period_of(period[0]), lang), reply.media,
                         attachment=reply.attachment)
        return reply

    async def record_pdf(self, code: str, lang: str) -> Reply:
        archive = Archive(self.app.db, self.app.flow, self.app.files, self.app.settings.zone,
                          self.app.requests.calendar)
        try:
            pdf = await archive.record_pdf(code)
        except UnknownRequest:
            return Reply(t("tap.unknown_request", lang))
        return Reply(t("report.record_pdf", lang, code=code), attachment=(f"rekam-jejak-{code}.pdf", pdf))

    async def render(self, start: date, end: date, lang: str) -> Reply:
        report = await self._report(start, end)
        chart, csv = await self._store(report, (lang,))
        return self._reply(report.summary_text(lang), chart[lang], csv, start, end)

    async def _report(self, start: date, end: date) -> Report:
        return await monev(self.app.db, self.app.flow, start, end, self.app.settings.zone,
                           self.app.requests.calendar)

    async def _store(self, report: Report, langs) -> tuple[dict[str, str], str]:
        """The chart (per language) and the CSV in the file store; their sha256s."""
        charts = {}
        for lang in langs:
            png = await asyncio.to_thread(render_chart, report, lang)
            charts[lang] = self.app.files.put(png)
        return charts, self.app.files.put(report.to_csv().encode())

    def _reply(self, text: str, chart: str, csv: str, start: date, end: date,
               buttons: list[list[Button]] | None = None) -> Reply:
        size = len(self.app.files.get(chart))
        media = MediaRef(sha256=chart, kind="image", mime="image/png", size=size, filename="monev.png")
        name = f"monev-{start.isoformat()}-{end.isoformat()}.csv"
        return Reply(text, buttons or [], media=[media], attachment=(name, self.app.files.get(csv)))

    # The monthly report --------------------------------------------------------------------

    def due_month(self, now: datetime) -> tuple[date, date] | None:
        """Last month, once this month's first working day has opened; None before."""
        calendar = self.app.requests.calendar
        local = now.astimezone(self.app.settings.zone)
        first = local.date().replace(day=1)
        if calendar is not None:
            for _ in range(31):
                if calendar.works_on(first):
                    break
                first += timedelta(days=1)
            if local < calendar.opening(first):
                return None
        return last_month(local.date())

    async def monthly(self, now: datetime) -> int:
        """What the deadline loop runs each pass: the monthly report when due, and the
        reminders of improvement actions."""
        sent = await self.queue_monthly(now)
        await self.evaluations.remind(now.astimezone(self.app.settings.zone).date())
        return sent

    async def queue_monthly(self, now: datetime) -> int:
        """On the first working day of a month, last month's report to the head role's holders
        and, with the evaluation buttons, to the SOP's evaluating role; once."""
        flow = self.app.flow
        period = self.due_month(now)
        if flow.report_to is None or period is None:
            return 0
        key = f"{flow.name}:{period_of(period[0])}"
        if await self.app.monthly.queued_before(key):
            return 0
        month_end = datetime.combine(period[1] + timedelta(days=1), time(0), self.app.settings.zone)
        if not await self.app.monthly.had_requests(flow.name, month_end):
            return 0
        report = await self._report(*period)
        if report.received == 0 and not evaluation_steps(flow) and not report.actions:
            return 0  # nothing happened and nothing is evaluated: no report
        charts, csv = await self._store(report, LANGUAGES)
        texts = {lang: report.summary_text(lang) for lang in LANGUAGES}
        payload = {"kind": "report", "start": period[0].isoformat(), "end": period[1].isoformat(),
                   "period": period_of(period[0]), "texts": texts, "charts": charts, "csv": csv, "code": "",
                   "step_id": "", "role": flow.report_to, "act": "", "note": ""}
        return await self.app.monthly.queue(key, payload, flow.report_to, list(evaluator_roles(flow)), now)

    def stored(self, payload: dict, lang: str) -> Reply | None:
        """The queued report as a Reply, from what was rendered when it was queued."""
        if "texts" not in payload:
            return None
        start, end = date.fromisoformat(payload["start"]), date.fromisoformat(payload["end"])
        lang = lang if lang in payload["texts"] else "id"
        buttons = evaluation_buttons(self.app, payload["period"], lang) if payload.get("evaluate") else None
        text = payload["texts"][lang]
        if payload.get("evaluate"):
            text += "\n\n" + t("eval.invite", lang, month=long_date(start, lang).split(" ", 1)[1])
        return self._reply(text, payload["charts"][lang], payload["csv"], start, end, buttons)


def evaluation_buttons(app: App, period: str, lang: str) -> list[list[Button]]:
    """One button per thing an evaluation row records: "9. Catat hasil evaluasi"..."""
    steps = evaluation_steps(app.flow)
    # the rows' outputs tell apart several rows that record actions (UB's 10 and 11); one needs none
    named = sum("actions" in step.records for step in steps) > 1
    rows = []
    for step in steps:
        number = step.number or app.flow.steps.index(step) + 1
        for records in step.records:
            short = "f" if records == "findings" else "a"
            key = f"eval.btn.{records}" if records == "findings" or named else "eval.btn.action"
            label = t(key, lang, number=number, output=step.output or step.name.get(lang))
            rows.append([Button(label[:60], f"v|{short}|{period}|{step.id}")])
    return rows
