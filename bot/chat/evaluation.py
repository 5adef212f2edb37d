"""The evaluation cycle in chat (bot/services/evaluation.py): the buttons under the monthly
report, the questions they ask (the findings; an action's text, owner and due date), the
owner's notices with a "Selesai" button.

Button data: `v|f|PERIOD|STEP` findings, `v|a|PERIOD|STEP` a new action, `v|o|PERSON` its
owner, `v|t|DAYS` its due date in N days, `v|d|ACTION` done. Like every button, a pointer:
the service checks the role at the press. The answers in progress are a pending input
(`eval_findings`, `eval_action`), so a restart loses nothing already given.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.app import App
from bot.chat.approvals import TapResult
from bot.chat.replies import Button, Reply
from bot.domain.dates import long_date, parse_date
from bot.i18n import t
from bot.services.evaluation import Evaluations, NotEvaluator, UnknownAction, period_of

DUE_CHOICES = (7, 14, 30)  # days: the quick choices for an action's due date
LASTING = ("v|f|", "v|a|", "v|d|")  # the report's buttons and an owner's Selesai: tapped days later


def lasting(data: str) -> bool:
    """A button that must stay tappable after later messages (on LINE: a Flex bubble, not a
    quick reply, which vanishes with the next message)."""
    return data.startswith(LASTING)


def _month(period: str, lang: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return long_date(date(year, month, 1), lang).split(" ", 1)[1]


class EvaluationChat:
    def __init__(self, app: App) -> None:
        self.app = app
        self.service = Evaluations(app.db, app.flow, app.clock, app.requests.calendar)

    def today(self) -> date:
        return self.app.clock.now().astimezone(self.app.settings.zone).date()

    async def on_tap(self, person_id: int, lang: str, data: str, pending: tuple[str, dict] | None,
                     channel: str) -> TapResult:
        parts = data.split("|")
        if len(parts) == 4 and parts[1] in ("f", "a") and self._reported(parts[2]):
            return await self._begin(person_id, lang, parts[1], parts[2], parts[3])
        if len(parts) == 3 and parts[1] == "d" and parts[2].isdigit():
            return await self._done(person_id, lang, int(parts[2]), channel)
        if len(parts) == 3 and (parts[1] == "o" and parts[2].isdigit()
                                or parts[1] == "t" and parts[2] in {str(days) for days in DUE_CHOICES}):
            if pending is None or pending[0] != "eval_action":
                return TapResult(t("eval.nothing_pending", lang))
            return await self._answer(person_id, lang, pending[1], parts[1], int(parts[2]), channel)
        return TapResult(t("tap.unknown", lang))

    async def on_text(self, person_id: int, lang: str, pending: tuple[str, dict], text: str,
                      channel: str) -> TapResult:
        kind, data = pending
        text = text.strip()
        if kind == "eval_findings":
            if not text:
                return TapResult(replies=[Reply(t("eval.ask_findings", lang), expect_reply=True)])
            try:
                await self.service.record_findings(person_id, data["period"], data["step_id"], text, channel)
            except NotEvaluator as refused:
                return await self._refused(person_id, lang, refused)
            await self.service.clear(person_id)
            saved = t("eval.findings_saved", lang, month=_month(data["period"], lang))
            return TapResult(replies=[Reply(saved)])
        if "text" not in data:
            if not text:
                return TapResult(replies=[Reply(t("eval.ask_action", lang), expect_reply=True)])
            data = data | {"text": text}
            await self.service.pend(person_id, "eval_action", data)
            return TapResult(replies=[await self._ask_owner(lang)])
        if "owner_id" in data:  # a typed due date
            day = parse_date(text)
            if day is None or day < self.today():
                return TapResult(replies=[self._ask_due(lang, bad=text)])
            return await self._save(person_id, lang, data, day, channel)
        return TapResult(replies=[await self._ask_owner(lang)])

    async def notice(self, payload: dict, lang: str) -> Reply | None:
        """An owner's assignment or reminder, or the head role's copy of the findings."""
        if payload["kind"] == "evaluation":
            step = self.app.flow.step(payload["step_id"])
            return Reply(t("eval.findings_notice", lang, month=_month(payload["period"], lang),
                           role=self.app.flow.role_name(step.role, lang), note=payload["note"]))
        action = await self.service.action(int(payload["action_id"]))
        if action is None or action.done:
            return None  # done before this went out
        key = "eval.assigned" if payload["kind"] == "action_assigned" else "eval.reminder"
        text = t(key, lang, text=action.text, due=long_date(action.due_on, lang),
                 month=_month(action.period, lang), number=action.number)
        return Reply(text, [[Button(t("eval.btn.done", lang), f"v|d|{action.id}")]])

    # ----------------------------------------------------------------------------------------

    def _reported(self, period: str) -> bool:
        """A month a report can be about (YYYY-MM, not after this one): the period comes from
        button data, which anyone can forge, and is written into the procedure's record."""
        year, _, month = period.partition("-")
        if not (len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
            return False
        return 1 <= int(month) <= 12 and "2000-01" <= period <= period_of(self.today())

    async def _begin(self, person_id: int, lang: str, short: str, period: str, step_id: str) -> TapResult:
        records = "findings" if short == "f" else "actions"
        try:
            step = self.service.step(step_id, records)
        except KeyError:
            return TapResult(t("tap.unknown", lang))
        if not await self.service.may_evaluate(person_id, step.id):
            return TapResult(t("refuse.no_role", lang, role=self.app.flow.role_name(step.role, lang)))
        kind = "eval_findings" if short == "f" else "eval_action"
        await self.service.pend(person_id, kind, {"period": period, "step_id": step.id})
        key = "eval.ask_findings" if short == "f" else "eval.ask_action"
        return TapResult(replies=[Reply(t(key, lang, month=_month(period, lang)), expect_reply=True)])

    async def _answer(self, person_id: int, lang: str, data: dict, what: str, value: int,
                      channel: str) -> TapResult:
        if "text" not in data:
            return TapResult(replies=[Reply(t("eval.ask_action", lang), expect_reply=True)])
        if what == "o":
            if value not in dict(await self.service.people()):
                return TapResult(t("tap.unknown", lang))
            await self.service.pend(person_id, "eval_action", data | {"owner_id": value})
            return TapResult(replies=[self._ask_due(lang)])
        if "owner_id" not in data:
            return TapResult(replies=[await self._ask_owner(lang)])
        return await self._save(person_id, lang, data, self.today() + timedelta(days=value), channel)

    async def _save(self, person_id: int, lang: str, data: dict, due: date, channel: str) -> TapResult:
        try:
            await self.service.add_action(person_id, data["period"], data["step_id"], data["text"],
                                          data["owner_id"], due, channel)
        except NotEvaluator as refused:
            return await self._refused(person_id, lang, refused)
        await self.service.clear(person_id)
        owner = dict(await self.service.people()).get(data["owner_id"], "-")
        return TapResult(replies=[Reply(t("eval.action_saved", lang, text=data["text"], owner=owner,
                                          due=long_date(due, lang)))])

    async def _done(self, person_id: int, lang: str, action_id: int, channel: str) -> TapResult:
        try:
            changed = await self.service.complete(person_id, action_id, channel=channel)
        except UnknownAction:
            return TapResult(t("tap.unknown", lang))
        except NotEvaluator as refused:
            return TapResult(t("refuse.no_role", lang, role=self.app.flow.role_name(refused.role, lang)))
        text = t("eval.done" if changed else "eval.already_done", lang)
        return TapResult(text, replies=[Reply(text)] if changed else [])

    async def _ask_owner(self, lang: str) -> Reply:
        people = await self.service.people()
        rows = [[Button(name[:40], f"v|o|{person_id}")] for person_id, name in people]
        return Reply(t("eval.ask_owner", lang), rows)

    def _ask_due(self, lang: str, bad: str = "") -> Reply:
        example = (self.today() + timedelta(days=14)).strftime("%d-%m-%Y")
        text = t("eval.ask_due", lang, example=example)
        if bad:
            text = t("eval.bad_due", lang, given=bad) + "\n" + text
        rows = [[Button(t("eval.btn.in_days", lang, days=days), f"v|t|{days}") for days in DUE_CHOICES]]
        return Reply(text, rows, expect_reply=True)

    async def _refused(self, person_id: int, lang: str, refused: NotEvaluator) -> TapResult:
        await self.service.clear(person_id)
        message = t("refuse.no_role", lang, role=self.app.flow.role_name(refused.role, lang))
        return TapResult(message, replies=[Reply(message)])
