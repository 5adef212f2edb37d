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
from bot.domain.request import Content, RequestState
from bot.domain.rules import next_window_start
from bot.services.people import ADMIN
from bot.services.requests import RequestServices, UnknownRequest
from storage.db import Database
from storage.repositories import Repos

OWN_PLATFORMS = ("telegram", "line")  # channels the bot posts to itself
TARGET_CLAIM_LIFETIME = timedelta(days=1)  # a channel's /daftarkan waits this long for a holder


@dataclass(frozen=True)
class Recipient:
    platform: str
    chat_id: str
    kind: str  # "channel", "group" or "private"

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class Reach:
    """How many of each a choice of audiences reaches, counted as the broadcast will send."""

    channels: int = 0
    groups: int = 0
    people: int = 0
    line_followers: bool = False  # plus LINE's broadcast to every follower (not counted here)

    @classmethod
    def of(cls, recipients: list[Recipient]) -> Reach:
        kinds = [r.kind for r in recipients]
        return cls(kinds.count("channel"), kinds.count("group"), kinds.count("private"),
                   "followers" in kinds)

    @property
    def total(self) -> int:
        return self.channels + self.groups + self.people


@dataclass(frozen=True)
class Published:
    outcome: Outcome
    broadcast_id: int
    due_at: datetime
    recipients: int
    reach: Reach = Reach()
    audiences: list[str] | None = None


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


def post_text_step(flow: Flow) -> bool:
    """Whether the flow publishes a step's written text rather than the client's caption."""
    return any(s.kind == Kind.PUBLISH and s.post_text == "text" for s in flow.request_steps)


def posted(flow: Flow, content: Content) -> Content:
    """What push-info sends: the written text as the post's text where the flow says so
    (BKK: the 5W+1H article) and a step wrote one, else the client's caption."""
    if post_text_step(flow) and content.text.strip():
        return content.model_copy(update={"caption": content.text})
    return content


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
        message to each LINE subscriber of the audiences. No audience means all of them."""
        audiences = self.audiences_for(audiences)
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
            queued = 0
            for recipient in recipients:
                payload = {"broadcast_id": broadcast_id, "kind": recipient.kind}
                queued += await repos.outbox.add(request_id, "broadcast", recipient.key, payload, due,
                                                 dedupe_key=f"pub:{code}:{recipient.key}") is not None
            await repos.broadcasts.queued(broadcast_id, queued)
        return Published(outcome, broadcast_id, due, len(recipients), Reach.of(recipients), audiences)

    def audiences_for(self, chosen: list[str]) -> list[str]:
        """No audience ticked means every audience of the flow (the card says so before the
        press): a push-info that silently skipped every subscriber would be no push-info."""
        return list(chosen) or list(self.flow.rules.audiences)

    async def reach(self, choices: dict[str, list[str]], line_followers: set[str] | None = None
                    ) -> dict[str, Reach]:
        """For each named choice of audiences (none: all), what it reaches now; the choices
        named in `line_followers` also go to every LINE follower. One read for all of them."""
        async with self.db.reading() as tx:
            repos = Repos(tx)
            targets = await repos.targets.listing()
            subscribers = await repos.subscribers.reachable()
        followers = line_followers or set()
        return {name: Reach.of(_recipients(targets, subscribers, self.audiences_for(audiences),
                                           name in followers))
                for name, audiences in choices.items()}

    async def _recipients(self, repos: Repos, audiences: list[str], line_followers: bool = False
                          ) -> list[Recipient]:
        return _recipients(await repos.targets.listing(), await repos.subscribers.reachable(), audiences,
                           line_followers)

    async def record_evidence(self, code: str, person_id: int, channel_name: str, url: str,
                              channel: str = "") -> None:
        """A link to a post the petugas made by hand (Instagram, the website...)."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            state = await self._evidence_state(repos, code, person_id, channel_name)
            publish = self._publish_step()
            event = Event("evidence", publish.id, state.version, person_id, publish.role, self.clock.now(),
                          url, {"channel": channel_name, "url": url})
            await repos.audit.append(await repos.requests.id_of(code), event, channel)

    async def check_evidence(self, code: str, person_id: int, channel_name: str) -> None:
        """Refused unless this person may link a hand-made post on this channel now (before
        they are asked for the link): the checklist's button data names any code and any
        channel, so both are checked, not trusted."""
        async with self.db.reading() as tx:
            await self._evidence_state(Repos(tx), code, person_id, channel_name)

    async def _evidence_state(self, repos: Repos, code: str, person_id: int, channel_name: str
                              ) -> RequestState:
        """The request, if the person holds the publishing role (checked first, so that no
        one else learns anything of the request), it was published, and the channel is one
        the petugas posts to by hand."""
        publish = self._publish_step()
        if publish.role not in await repos.roles.of(person_id):
            raise Refused("no_role", role=self.flow.role_name(publish.role))
        state = await repos.requests.get(code)
        if state is None:
            raise UnknownRequest(code)
        if not any(event.act == Act.PUBLISH for event in await repos.audit.for_request(code)):
            raise Refused("not_published", code=code)
        choices = external_channels(self.flow, state)
        if channel_name not in choices:
            raise Refused("evidence_channel", code=code, channel=channel_name[:40],
                          choices=", ".join(choices) or "-")
        return state

    def _publish_step(self):
        step = next((s for s in self.flow.request_steps if s.kind == Kind.PUBLISH), None)
        if step is None:  # a flow without a publish step has no checklist
            raise Refused("not_allowed", action="evidence", step="-")
        return step

    # Channels and groups that receive push-info ------------------------------------------

    def may_register(self, roles: set[str]) -> bool:
        """Admins and whoever publishes may add a push-info target."""
        publishers = {s.role for s in self.flow.request_steps if s.kind == Kind.PUBLISH}
        return bool(roles & (publishers | {ADMIN}))

    async def claim_target(self, platform: str, chat_id: str | int, title: str, kind: str,
                           audiences: list[str]) -> str:
        """`/daftarkan` posted in a channel, where nobody can be told from the post who wrote
        it: a code that a role holder sends to the bot in a private chat to register it."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            return await Repos(tx).claims.add(platform, chat_id, title, kind, audiences, now,
                                              now + TARGET_CLAIM_LIFETIME)

    async def confirm_target(self, code: str, person_id: int) -> tuple[str, dict | None]:
        """("registered", the claim), ("not_allowed", None) or ("bad_code", None)."""
        async with self.db.transaction() as tx:
            repos = Repos(tx)
            if not self.may_register(await repos.roles.of(person_id)):
                return "not_allowed", None
            claim = await repos.claims.take(code, person_id, self.clock.now())
            if claim is None:
                return "bad_code", None
            await repos.targets.add(claim["platform"], claim["chat_id"], claim["title"], claim["kind"],
                                    claim["audiences"])
            return "registered", claim

    async def progress(self, code: str) -> dict[str, int]:
        async with self.db.reading() as tx:
            repos = Repos(tx)
            request_id = await repos.requests.id_of(code)
            return await repos.broadcasts.counts(request_id) if request_id else {}


def _recipients(targets: list[dict], subscribers: list[dict], audiences: list[str],
                line_followers: bool = False) -> list[Recipient]:
    """Channels and groups for every audience or one of those chosen; subscribers of one of
    them. With `line_followers`, LINE's subscribers give way to one broadcast to every follower."""
    chosen = set(audiences)
    found = [
        Recipient(t["platform"], t["chat_id"], t["kind"])
        for t in targets
        if not t["audiences"] or chosen & set(t["audiences"])
    ]
    found += [
        Recipient(s["platform"], s["chat_id"], "private")
        for s in subscribers
        if chosen & set(s["audiences"])
    ]
    if line_followers:  # one row, "line:*", sent with LINE's broadcast endpoint
        found = [r for r in found if not (r.platform == "line" and r.kind == "private")]
        found.append(Recipient("line", "*", "followers"))
    return found


def eta(remaining: int, per_second: float) -> timedelta:
    return timedelta(seconds=round(remaining / per_second)) if per_second > 0 else timedelta(0)
