"""The one place that wires settings, storage, the flow and the services together."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.domain.flow import Flow
from bot.domain.worktime import flow_calendar, read_holidays
from bot.flows.loader import load_flow
from bot.lease import Lease, new_worker_id
from bot.services.drafts import Drafts
from bot.services.inbox import InboxService
from bot.services.outbox import Outgoing
from bot.services.people import PeopleServices
from bot.services.publishing import Publishing
from bot.services.reporting import MonthlyReports
from bot.services.requests import RequestServices
from bot.services.subscriptions import Subscriptions
from storage.db import Database
from storage.files import FileStore


@dataclass
class App:
    settings: Settings
    db: Database
    flow: Flow
    files: FileStore
    clock: Clock
    requests: RequestServices
    people: PeopleServices
    publishing: Publishing
    drafts: Drafts
    subscriptions: Subscriptions
    monthly: MonthlyReports
    inbox: InboxService  # platform updates in, once each
    outgoing: Outgoing  # answers out, after the update's transaction commits
    worker_id: str = field(default_factory=new_worker_id)  # this process, among several on PostgreSQL

    @property
    def lease(self) -> Lease:
        """This worker's claims on the rows it sends (bot/lease.py)."""
        if getattr(self, "_lease", None) is None:
            self._lease = Lease(self.db, self.worker_id)
        return self._lease

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> App:
        flow = load_flow(settings.flow, settings.flows_dir)
        db = await Database.open(settings.database)
        clock = clock or SystemClock()
        calendar = flow_calendar(flow.working_hours, flow.working_days, settings.zone,
                                 read_holidays(settings.holidays_file))
        requests = RequestServices(db, flow, clock, settings.zone, calendar)
        files = FileStore(settings.media_folder)
        files.sweep_incoming()  # uploads a crash left half-received
        return cls(
            settings=settings, db=db, flow=flow, files=files,
            clock=clock, requests=requests, people=PeopleServices(db, flow),
            publishing=Publishing(db, flow, clock, settings.zone, requests),
            drafts=Drafts(db), subscriptions=Subscriptions(db, flow.rules.audiences),
            monthly=MonthlyReports(db), inbox=InboxService(db, clock), outgoing=Outgoing(db, clock),
        )

    async def close(self) -> None:
        await self.db.close()
