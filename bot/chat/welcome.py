"""/start (LINE: `start`, `mulai`, and following the account): the office's greeting, and for a
role holder which roles they hold and what will reach them, so that a new koordinator knows the
cards will come by themselves and that /antrian shows what waits."""

from __future__ import annotations

from bot.app import App
from bot.chat.intake import Intake
from bot.chat.replies import Reply
from bot.chat.reports import report_roles
from bot.domain.durations import format_duration
from bot.domain.flow import Flow, Kind
from bot.i18n import t
from bot.services.people import ADMIN


async def welcome(app: App, person_id: int, lang: str) -> list[Reply]:
    replies = [Intake(app).greeting(lang)]
    held = await app.people.roles_of(person_id)
    if held:
        replies.append(holder_note(app, held, lang))
    return replies


def holder_note(app: App, held: set[str], lang: str) -> Reply:
    """What a holder of `held` gets: a card at each of their steps, reminders, escalations and
    the monthly report where their role is the one the flow names; the commands for them."""
    flow = app.flow
    steps = flow.request_steps
    items = [t("start.holder_card", lang, number=flow.row(step.id)[0], total=flow.row(step.id)[1],
               step=step.name.get(lang),
               timing=t("start.holder_timing", lang, standard=format_duration(step.standard, lang))
               if step.standard else "")
             for step in steps if step.role in held]  # numbered as the cards number them
    if items:
        items.append(t("start.holder_reminders", lang, share=round(flow.reminder_share * 100)))
    below = [str(flow.row(s.id)[0]) for s in steps
             if s.standard and flow.escalation_role(s, ADMIN) in held]  # whose lateness reaches them
    if below:
        items.append(t("start.holder_escalations", lang, steps=", ".join(below)))
    if flow.report_to in held:
        items.append(t("start.holder_monthly", lang))
    commands = [t("start.holder_queue", lang)]
    if held & report_roles(app):
        commands.append(t("start.holder_report", lang))
    if held & ({s.role for s in steps if s.kind == Kind.PUBLISH} | {ADMIN}):
        commands.append(t("start.holder_register", lang))
    commands.append(t("start.holder_roles", lang))
    return Reply(t("start.holder", lang, roles=", ".join(role_names(flow, held, lang)),
                   items="\n".join(items) or t("start.holder_nothing", lang), commands="\n".join(commands)))


def role_names(flow: Flow, held: set[str], lang: str) -> list[str]:
    """In the flow's order of roles; the admin, who holds no step, last."""
    names = [role.name.get(lang) for role in flow.roles if role.id in held]
    return names + [t("start.holder_admin", lang)] if ADMIN in held else names
