"""The archive of one request: every version of its media and caption, every decision with
its reason, every delivery and evidence link, as a zip with a JSON manifest and a readable
HTML record of its path through the SOP."""

from __future__ import annotations

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
from bot.domain.request import Content, RequestState
from bot.services.requests import UnknownRequest
from storage.db import Database
from storage.files import FileStore
from storage.repositories import AuditEntry, Repos


@dataclass(frozen=True)
class StepRecord:
    """One row of the request's actual path: a step, who acted, when, and how long it took."""

    number: int
    step_id: str
    name: str
    role: str
    actor: str
    act: str
    started: datetime
    finished: datetime
    standard_seconds: int | None
    note: str

    @property
    def seconds(self) -> int:
        return int((self.finished - self.started).total_seconds())

    @property
    def on_time(self) -> bool | None:
        return None if self.standard_seconds is None else self.seconds <= self.standard_seconds


def sop_path(flow: Flow, created: datetime, events: list[AuditEntry]) -> list[StepRecord]:
    """Each step action, timed from the previous one (the moment the step started)."""
    records, started = [], created
    numbers = {step.id: i for i, step in enumerate(flow.request_steps, start=1)}
    for event in events:
        if event.act == "evidence" or event.step_id not in numbers:
            continue
        step = flow.step(event.step_id)
        # a (re)submission is the requester's time, not the step's: no standard to judge it by
        standard = int(step.standard.total_seconds()) if step.standard and event.act != "submit" else None
        role = "sistem" if event.role == "system" else flow.role_name(event.role)
        records.append(
            StepRecord(
                numbers[step.id],
                step.id,
                step.name.id,
                role,
                event.actor_name or "-",
                event.act,
                started,
                event.at,
                standard,
                event.note,
            )
        )
        started = event.at
    return records


@dataclass
class Archive:
    db: Database
    flow: Flow
    files: FileStore
    zone: ZoneInfo

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
            deliveries = await repos.broadcasts.deliveries(request_id)
        return state, versions, events, deliveries

    def _record(self, state: RequestState, events: list[AuditEntry]) -> list[StepRecord]:
        return sop_path(self.flow, events[0].at if events else state.step_started_at, events)

    async def export(self, code: str, target: Path) -> Path:
        """Write CODE.zip into `target` (a folder, or a file path ending in .zip)."""
        state, versions, events, deliveries = await self._load(code)
        path = target / f"{code}.zip" if target.suffix != ".zip" else target
        path.parent.mkdir(parents=True, exist_ok=True)
        files = _materials(versions)
        entries = {name: self.files.get(sha) for name, sha in files.items()}
        for version, content in versions:
            caption = content.caption.encode()
            name = f"caption-v{version}.txt"
            entries[name], files[name] = caption, hashlib.sha256(caption).hexdigest()
        record = self._record(state, events)
        manifest = self._manifest(state, versions, events, deliveries, files, entries, record)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            archive.writestr("record.html", self._html(state.code, versions[-1][1], record, deliveries))
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
                    "seconds": r.seconds,
                    "standard_seconds": r.standard_seconds,
                    "on_time": r.on_time,
                }
                for r in record
            ],
        }

    async def record_page(self, code: str) -> str:
        """The printable SOP record alone: the request's path as the SOP's own table."""
        state, _, events, deliveries = await self._load(code)
        return self._html(code, state.content, self._record(state, events), deliveries)

    def _html(self, code: str, content: Content, record: list[StepRecord], deliveries: list[dict]) -> str:
        def local(moment: datetime) -> str:
            return moment.astimezone(self.zone).strftime("%d-%m-%Y %H.%M")

        rows = "".join(
            f"<tr><td>{r.number}</td><td>{_e(r.name)}</td><td>{_e(r.role)}</td><td>{_e(r.actor)}</td>"
            f"<td>{_e(r.act)}</td><td>{local(r.finished)}</td>"
            f"<td>{format_duration(_delta(r.standard_seconds))}</td>"
            f"<td>{format_duration(_delta(r.seconds))}</td>"
            f"<td>{'-' if r.on_time is None else ('tepat waktu' if r.on_time else 'terlambat')}</td>"
            f"<td>{_e(self.flow.step(r.step_id).needs or '-')}</td>"
            f"<td>{_e(self.flow.step(r.step_id).output or '-')}</td>"
            f"<td>{_e(r.note)}</td></tr>"
            for r in record
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
    """Archive path -> sha256 of every file in every version, originals and stamped copies."""
    files: dict[str, str] = {}
    for version, content in versions:
        for i, media in enumerate(content.media, start=1):
            ext = media.mime.split("/")[-1].replace("jpeg", "jpg")
            files[f"media/v{version}-{i}.{ext}"] = media.sha256
            if media.stamped_sha256:
                files[f"media/v{version}-{i}-footer.{ext}"] = media.stamped_sha256
    return files


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
<th>Waktu</th><th>Mutu baku</th><th>Waktu aktual</th><th>Ketepatan</th><th>Kelengkapan</th>
<th>Output</th><th>Catatan</th></tr>
{rows}</table>
<p>Penyebaran: {sent} dari {total} penerima terkirim.</p>
</body></html>
"""
