"""Monev in chat: `/laporan` for the roles that receive reports, and the monthly report the
head role gets by itself (BKK Palembang: "melaporkan ke Kepala")."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from bot.app import App
from bot.chat.replies import Reply
from bot.domain.request import MediaRef
from bot.i18n import t
from bot.reports.chart import render_chart
from bot.services.monev import monev, period_bounds
from bot.services.people import ADMIN
from storage.db import utc_text
from storage.repositories import Repos


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def report_roles(app: App) -> set[str]:
    return {role for role in (app.flow.report_to, app.flow.supervisor, ADMIN) if role}


class Reports:
    def __init__(self, app: App) -> None:
        self.app = app

    async def laporan(self, person_id: int, lang: str) -> Reply:
        """Last month's report for a person allowed to read it."""
        if not await self.app.people.roles_of(person_id) & report_roles(self.app):
            names = ", ".join(self.app.flow.role_name(r, lang) for r in sorted(report_roles(self.app)))
            return Reply(t("report.not_allowed", lang, roles=names))
        start, end = last_month(self.app.clock.now().astimezone(self.app.settings.zone).date())
        return await self.render(start, end, lang)

    async def render(self, start: date, end: date, lang: str) -> Reply:
        report = await monev(self.app.db, self.app.flow, start, end, self.app.settings.zone)
        png = await asyncio.to_thread(render_chart, report, lang)
        sha = self.app.files.put(png)
        chart = MediaRef(sha256=sha, kind="image", mime="image/png", size=len(png), filename="monev.png")
        name = f"monev-{start.isoformat()}-{end.isoformat()}.csv"
        return Reply(report.summary_text(lang), media=[chart], attachment=(name, report.to_csv().encode()))

    async def queue_monthly(self, now: datetime) -> int:
        """Once a month, the previous month's report to every holder of the head role."""
        role = self.app.flow.report_to
        if role is None:
            return 0
        start, end = last_month(now.astimezone(self.app.settings.zone).date())
        low, high = period_bounds(start, end, self.app.settings.zone)
        async with self.app.db.transaction() as tx:
            repos = Repos(tx)
            submitted = await tx.scalar(
                "SELECT COUNT(*) FROM audit_log WHERE act = 'submit' AND at >= ? AND at < ?",
                (utc_text(low), utc_text(high)),
            )
            if not submitted or not await repos.seen.first_time("monev", start.isoformat()[:7]):
                return 0  # a month with no requests has nothing to report
            holders = await repos.roles.holders(role)
            payload = {"kind": "report", "start": start.isoformat(), "end": end.isoformat(), "code": "",
                       "step_id": "", "role": role, "act": "", "note": ""}
            for person_id in holders:
                await repos.outbox.add(None, "notice", person_id, payload, now)
        return len(holders)
