"""Push-info: the petugas publishes an approved request to its audiences.

Publishing is one transaction: the publish step's audit event, the broadcast, and one
outbox row per (request, recipient) with a dedupe key, so nobody is queued twice. Senders
per platform drain those rows within the platform's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import engine
from bot.domain.engine import Act, Action, Event, Outcome, Refused
from bot.domain.flow import Flow, Kind
from bot.domain.request import RequestState
from bot.domain.rules import next_window_start
from bot.services.requests import RequestServices, UnknownRequest
from storage.db import Database
from storage.repositories import Repos

OWN_PLATFORMS = ("telegram", "line")  # channels the bot posts to itself


@dataclass(frozen=True)
class Recipient:
    platform: str
    chat_id: str
    kind: str  # "channel", "group" or "private"

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class Published:
    outcome: Outcome
    broadcast_id: int
    due_at: datetime
    recipients: int


def requested_moment(state: RequestState, zone: ZoneInfo) -> datetime | None:
    """The client's date at the start of their chosen slot, in local time."""
    content = state.content
    if content.publish_date is None:
        return None
    hour, minute = (int(part) for part in (content.slot.split("-")[0] or "08.00").split("."))
    return datetime(content.publish_date.year, content.publish_date.month, content.publish_date.day,
                    hour, minute, tzinfo=zone)


def external_channels(flow: Flow, state: RequestState) -> list[str]:
    """Channels the bot cannot post to itself: the petugas posts and records the link."""
    named = state.content.channels or flow.rules.channels
    return [c for c in named if c not in OWN_PLATFORMS]


@dataclass
class Publishing:
    db: Database
    flow: Flow
    clock: Clock
    zone: ZoneInfo
    requests: RequestServices

    def schedule_time(self, state: RequestState) -> datetime:
        """When "Jadwalkan" publishes: the requested date and slot, or, if that has passed or
        lies outside the flow's windows, the next allowed moment."""
        now_local = self.clock.now().astimezone(self.zone)
        wanted = requested_moment(state, self.zone) or now_local
        return next_window_start(max(wanted, now_local), self.flow.rules)

    async def publish(
        self, code: str, person_id: int, audiences: list[str], at: datetime | None = None, channel: str = "",
        line_followers: bool = False,
    ) -> Published:
        """Record the publish step and queue every delivery; `at` None means now. With
        `line_followers`, LINE gets one broadcast to every follower of the bot instead of a
        message to each LINE subscriber of the audiences."""
        now = self.clock.now()
        # in UTC, as the clock gives it: the outbox compares due times as ISO text, and a
        # local +07:00 time would fire seven hours late
        due = (at or now).astimezone(UTC)
        wanted = due.astimezone(self.zone)
        allowed = next_window_start(wanted, self.flow.rules)
        if allowed != wanted:  # now or later, only inside the flow's publication windows
            raise Refused("outside_window", given=f"{wanted:%d-%m-%Y %H.%M}",
                          nearest=f"{allowed:%d-%m-%Y %H.%M}")
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            state = await repos.requests.get(code)
            if state is None:
                raise UnknownRequest(code)
            if self.flow.step(state.step_id).kind != Kind.PUBLISH:
                raise Refused("not_current", code=code, step=self.flow.step(state.step_id).name.id)
            recipients = await self._recipients(repos, audiences, line_followers)
            action = Action(Act.PUBLISH, state.step_id, state.version, data={
                "audiences": audiences, "due_at": due.isoformat(), "recipients": len(recipients)}
                | ({"line_followers": True} if line_followers else {}))
            actor = engine.Actor(person_id, frozenset(await repos.roles.of(person_id)))
            outcome = self.requests.timed(engine.apply(self.flow, state, action, actor, now))
            request_id = await repos.requests.save(outcome.state, person_id)
            await self.requests.record(repos, request_id, outcome, channel)
            broadcast_id = await repos.broadcasts.create(request_id, state.version, audiences, due, person_id)
            for recipient in recipients:
                payload = {"broadcast_id": broadcast_id, "kind": recipient.kind}
                await repos.outbox.add(request_id, "broadcast", recipient.key, payload, due,
                                       dedupe_key=f"pub:{code}:{recipient.key}")
        return Published(outcome, broadcast_id, due, len(recipients))

    async def _recipients(self, repos: Repos, audiences: list[str], line_followers: bool = False
                          ) -> list[Recipient]:
        chosen = set(audiences)
        found = [
            Recipient(t["platform"], t["chat_id"], t["kind"])
            for t in await repos.targets.listing()
            if not t["audiences"] or chosen & set(t["audiences"])
        ]
        found += [
            Recipient(s["platform"], s["chat_id"], "private")
            for s in await repos.subscribers.reachable()
            if chosen & set(s["audiences"])
        ]
        if line_followers:  # one row, "line:*", sent with LINE's broadcast endpoint
            found = [r for r in found if not (r.platform == "line" and r.kind == "private")]
            found.append(Recipient("line", "*", "followers"))
        return found

    async def record_evidence(self, code: str, person_id: int, channel_name: str, url: str,
                              channel: str = "") -> None:
        """A link to a post the petugas made by hand (Instagram, the website...)."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            request_id = await repos.requests.id_of(code)
            state = await repos.requests.get(code)
            if state is None or request_id is None:
                raise UnknownRequest(code)
            publish = next(s for s in self.flow.request_steps if s.kind == Kind.PUBLISH)
            if publish.role not in await repos.roles.of(person_id):
                raise Refused("no_role", role=self.flow.role_name(publish.role))
            event = Event("evidence", publish.id, state.version, person_id, publish.role, self.clock.now(),
                          url, {"channel": channel_name, "url": url})
            await repos.audit.append(request_id, event, channel)

    async def progress(self, code: str) -> dict[str, int]:
        async with self.db.reading() as tx:
            repos = Repos(tx)
            request_id = await repos.requests.id_of(code)
            return await repos.broadcasts.counts(request_id) if request_id else {}


def eta(remaining: int, per_second: float) -> timedelta:
    return timedelta(seconds=round(remaining / per_second)) if per_second > 0 else timedelta(0)
