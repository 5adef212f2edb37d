"""The archive of one request: every version of its media and caption, every decision with
its reason, every delivery and evidence link, as a zip with a JSON manifest and a readable
HTML record of its path through the SOP."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.durations import format_duration
from bot.domain.flow import Flow
from bot.domain.record import StepRecord, sop_record
from bot.domain.request import Content, RequestState
from bot.domain.worktime import Calendar, flow_calendar
from bot.i18n import TEXTS, t
from bot.services.requests import UnknownRequest
from storage.db import Database
from storage.files import FileStore
from storage.repositories import AuditEntry, Repos
from storage.retention_repos import deliveries_of


def act_label(act: str, lang: str = "id") -> str:
    """The act as the record names it: "Disetujui", "Eskalasi keterlambatan"..."""
    key = f"act.{act}"
    return t(key, lang) if key in TEXTS else act


def verdict(record: StepRecord, lang: str = "id") -> str:
    """"tepat waktu", "terlambat 1 jam 5 menit", or "-" for what is not judged."""
    if record.on_time is None:
        return "-"
    if record.on_time:
        return t("record.on_time", lang)
    return t("record.late", lang, by=format_duration(timedelta(seconds=record.late_seconds or 0), lang))


def sheet_rows(record: list[StepRecord], zone: ZoneInfo, lang: str = "id") -> list[list[str]]:
    """No, step, role, name, act, standard, deadline, done, working time, verdict, note: the
    columns the HTML page and the PDF share."""
    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%d-%m-%Y %H.%M") if moment else "-"

    return [
        [str(r.number), r.name, r.role, r.actor, act_label(r.act, lang),
         format_duration(_delta(r.standard_seconds), lang), local(r.due), local(r.finished),
         format_duration(_delta(r.worked_seconds), lang) if r.worked_seconds is not None else "-",
         verdict(r, lang), r.note]
        for r in record
    ]


@dataclass
class Archive:
    db: Database
    flow: Flow
    files: FileStore
    zone: ZoneInfo
    calendar: Calendar | None = None  # the flow's working time (default: its hours and days)

    async def _load(self, code: str) -> tuple[RequestState, list, list[AuditEntry], list[dict]]:
        """The request, its versions, its audit events and its deliveries."""
        async with self.db.reading() as tx:
            repos = Repos(tx)
            state = await repos.requests.get(code)
            request_id = await repos.requests.id_of(code)
            if state is None or request_id is None:
                raise UnknownRequest(code)
            versions = await repos.requests.versions(code)
            events = await repos.audit.for_request(code)
            deliveries = await deliveries_of(tx, request_id)  # folded by retention or not
        return state, versions, events, deliveries

    def _record(self, state: RequestState, events: list[AuditEntry]) -> list[StepRecord]:
        calendar = self.calendar or flow_calendar(self.flow.working_hours, self.flow.working_days, self.zone)
        return sop_record(self.flow, calendar, events)

    async def export(self, code: str, target: Path) -> Path:
        """Write CODE.zip into `target` (a folder, or a file path ending in .zip)."""
        state, versions, events, deliveries = await self._load(code)
        path = target / f"{code}.zip" if target.suffix != ".zip" else target
        path.parent.mkdir(parents=True, exist_ok=True)
        files = _materials(versions)
        entries = {name: self.files.get(sha) for name, sha in files.items()}
        for version, content in versions:
            for name, text in _texts(version, content):
                data = text.encode()
                entries[name], files[name] = data, hashlib.sha256(data).hexdigest()
        record = self._record(state, events)
        pdf = await asyncio.to_thread(self._pdf, state, events)
        manifest = self._manifest(state, versions, events, deliveries, files, entries, record)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            archive.writestr("record.html", self._html(state.code, versions[-1][1], record, deliveries))
            archive.writestr("record.pdf", pdf)
        return path

    def _manifest(self, state, versions, events, deliveries, files, entries, record) -> dict:
        """Everything about the request. `files` names every file in the zip except the manifest
        and record.html, with its sha256 (for media, the hash it was stored and approved under)."""
        return {
            "code": state.code,
            "flow": self.flow.name,
            "office": self.flow.office,
            "status": state.status.value,
            "current_step": state.step_id,
            "version": state.version,
            "subject": state.content.subject_line(),
            "versions": [{"version": v, "content": c.model_dump(mode="json")} for v, c in versions],
            "files": [
                {"path": name, "sha256": sha, "size": len(entries[name])} for name, sha in files.items()
            ],
            "events": [
                {
                    "act": e.act,
                    "step": e.step_id,
                    "version": e.version,
                    "actor": e.actor_name,
                    "role": e.role,
                    "channel": e.channel,
                    "note": e.note,
                    "data": e.data,
                    "at": e.at.isoformat(),
                }
                for e in events
            ],
            "evidence": [e.data for e in events if e.act == "evidence"],
            "deliveries": [
                {
                    "recipient": d["recipient"],
                    "status": d["status"],
                    "result": d["result"],
                    "at": d["updated_at"],
                }
                for d in deliveries
            ],
            "sop_record": [
                {
                    "step": r.step_id,
                    "actor": r.actor,
                    "act": r.act,
                    "started": r.started.isoformat() if r.started else None,
                    "done": r.finished.isoformat(),
                    "due": r.due.isoformat() if r.due else None,
                    "seconds": r.worked_seconds,
                    "standard_seconds": r.standard_seconds,
                    "on_time": r.on_time,
                    "late_seconds": r.late_seconds,
                    "system": r.system,
                }
                for r in record
            ],
        }

    async def record_page(self, code: str) -> str:
        """The printable SOP record alone: the request's path as the SOP's own table."""
        state, _, events, deliveries = await self._load(code)
        return self._html(code, state.content, self._record(state, events), deliveries)

    async def record_pdf(self, code: str) -> bytes:
        """The SOP record as an A4 PDF to print and sign (bot/reports/record_pdf.py)."""
        state, _, events, _ = await self._load(code)
        return await asyncio.to_thread(self._pdf, state, events)

    def _pdf(self, state: RequestState, events: list[AuditEntry]) -> bytes:
        from bot.reports.record_pdf import render_record

        return render_record(self.flow, state, self._record(state, events), self.zone,
                             events[0].at if events else state.step_started_at)

    def _html(self, code: str, content: Content, record: list[StepRecord], deliveries: list[dict]) -> str:
        needs = [(self.flow.step(r.step_id).needs or "-", self.flow.step(r.step_id).output or "-")
                 for r in record]
        rows = "".join(
            "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in [*row[:10], *extra, row[10]]) + "</tr>"
            for row, extra in zip(sheet_rows(record, self.zone), needs, strict=True)
        )
        sent = sum(1 for d in deliveries if d["status"] == "sent")
        return _PAGE.format(
            code=_e(code),
            subject=_e(content.subject_line()),
            office=_e(self.flow.office),
            title=_e(self.flow.title.id),
            rows=rows,
            sent=sent,
            total=len(deliveries),
        )


def _materials(versions: list[tuple[int, Content]]) -> dict[str, str]:
    """Archive path -> sha256 of every file in every version, originals and stamped copies,
    and the documents steps handed in (a PDF)."""
    files: dict[str, str] = {}
    for version, content in versions:
        for i, media in enumerate(content.media, start=1):
            ext = media.mime.split("/")[-1].replace("jpeg", "jpg")
            files[f"media/v{version}-{i}.{ext}"] = media.sha256
            if media.stamped_sha256:
                files[f"media/v{version}-{i}-footer.{ext}"] = media.stamped_sha256
        for i, document in enumerate(content.documents, start=1):
            files[f"documents/v{version}-{i}-{_safe(document.filename or 'dokumen')}"] = document.sha256
    return files


def _texts(version: int, content: Content) -> list[tuple[str, str]]:
    """The texts of a version as files: the client's caption, and the text a step wrote (the
    final text and the published result are archived, as BKK's SOP asks)."""
    texts = [(f"caption-v{version}.txt", content.caption)]
    if content.text:
        texts.append((f"text-v{version}.txt", content.text))
    return texts


def _safe(name: str) -> str:
    """A file name fit for a zip entry: no folders, nothing but plain characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in base) or "dokumen"


def _delta(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _e(text: object) -> str:
    return html.escape(str(text))


_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>{code}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px;vertical-align:top}}th{{background:#eee}}</style>
</head><body>
<h1>{code}</h1><p>{subject}</p><p>{office}: {title}</p>
<table><tr><th>No</th><th>Kegiatan</th><th>Pelaksana</th><th>Nama</th><th>Tindakan</th>
<th>Mutu baku</th><th>Batas waktu</th><th>Selesai</th><th>Waktu kerja</th><th>Ketepatan</th>
<th>Kelengkapan</th><th>Output</th><th>Catatan</th></tr>
{rows}</table>
<p>Penyebaran: {sent} dari {total} penerima terkirim.</p>
</body></html>
"""
