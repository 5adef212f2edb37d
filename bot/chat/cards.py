"""How a request looks in chat: the card a role holder acts on, and the notices a
requester receives. Platform-neutral Replies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat import callbacks
from bot.chat.callbacks import StepButton
from bot.chat.intake import describe
from bot.chat.replies import Button, Reply
from bot.domain.captions import check_caption
from bot.domain.durations import format_duration
from bot.domain.engine import Act, allowed_acts
from bot.domain.flow import Flow, Kind
from bot.domain.request import RequestState
from bot.i18n import t

MARKS = {Act.APPROVE: "✅", Act.REJECT: "❌", Act.RETURN: "↩️", Act.CANCEL: "🚫"}


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d-%m-%Y %H.%M")


def step_card(
    flow: Flow,
    state: RequestState,
    lang: str,
    zone: ZoneInfo,
    selected: list[str] | None = None,
    with_buttons: bool = True,
    line_followers: bool = False,
) -> Reply:
    """The request as a role holder sees it at its current step, with that step's buttons.
    `line_followers` offers the petugas LINE's broadcast to every follower."""
    step = flow.step(state.step_id)
    due = state.step_due_at
    header = t(
        "card.header",
        lang,
        code=state.code,
        version=state.version,
        number=flow.request_steps.index(step) + 1,
        total=len(flow.request_steps),
        step=step.name.get(lang),
        role=flow.role_name(step.role, lang),
        standard=format_duration(step.standard, lang),
        deadline=t("card.deadline", lang, when=local(due, zone)) if due else "",
    )
    lines = [header]
    if step.needs:
        lines.append(t("card.needs", lang, needs=step.needs))
    lines += [
        "",
        t("card.subject", lang, subject=state.content.subject_line()),
        describe(state.content, lang),
    ]
    lines += _warnings(flow, state, lang)
    media = [m.model_copy(update={"sha256": m.publish_sha256}) for m in state.content.media[:1]]
    if flow.rules.footer and media and media[0].kind == "image":
        lines.append(t("card.stamped", lang, office=flow.office))
    buttons = step_buttons(flow, state, lang, selected, line_followers) if with_buttons else []
    return Reply("\n".join(lines), buttons, media=media)


def step_buttons(
    flow: Flow, state: RequestState, lang: str, selected: list[str] | None = None,
    line_followers: bool = False,
) -> list[list[Button]]:
    step = flow.step(state.step_id)
    index = flow.request_steps.index(step)

    def data(act: Act, arg: str = "") -> str:
        return callbacks.encode(StepButton(state.code, state.version, index, act, arg))

    rows: list[list[Button]] = []
    if step.kind == Kind.CHOOSE_CHANNELS:
        chosen = selected if selected is not None else state.content.channels
        toggles = [
            Button(("☑️ " if c in chosen else "⬜ ") + c, data(Act.CHOOSE_CHANNELS, str(i)))
            for i, c in enumerate(flow.rules.channels)
        ]
        rows += [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    if step.kind == Kind.PUBLISH:
        return rows + publish_buttons(flow, state, lang, selected or [], data, line_followers)
    for act in allowed_acts(step):
        arg = "save" if act == Act.CHOOSE_CHANNELS else ""
        rows.append([Button(t(f"btn.{act.value}", lang), data(act, arg))])
    return rows


LINE_FOLLOWERS = "line:*"  # in the chosen list: LINE's broadcast to every follower


def publish_buttons(
    flow: Flow, state: RequestState, lang: str, audiences: list[str], data, line_followers: bool = False
) -> list[list[Button]]:
    """Push-info: the audiences to reach (toggles), then now or at the requested time."""
    toggles = [
        Button(("☑️ " if a in audiences else "⬜ ") + a, data(Act.PUBLISH, f"a{i}"))
        for i, a in enumerate(flow.rules.audiences)
    ]
    rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    if line_followers:
        mark = "☑️ " if LINE_FOLLOWERS in audiences else "⬜ "
        rows.append([Button(mark + t("btn.line_followers", lang), data(Act.PUBLISH, "f"))])
    rows.append([Button(t("btn.publish_now", lang), data(Act.PUBLISH, "now"))])
    rows.append([Button(t("btn.publish_schedule", lang), data(Act.PUBLISH, "sched"))])
    return rows


def evidence_buttons(code: str, channels: list[str], done: set[str], lang: str) -> Reply:
    """The checklist of channels the petugas posts to by hand; a tick asks for the link."""
    rows = [[Button(("✅ " if c in done else "⬜ ") + c, callbacks.evidence(code, c))] for c in channels]
    return Reply(t("publish.checklist", lang, code=code), rows)


def decided_line(
    flow: Flow, act: Act, role: str, name: str, when: datetime, zone: ZoneInfo, lang: str, note: str = ""
) -> str:
    line = t(
        "card.decided",
        lang,
        mark=MARKS.get(act, "✔️"),
        act=t(f"act.{act.value}", lang),
        name=name or "-",
        role=flow.role_name(role, lang),
        when=local(when, zone),
    )
    return f"{line}\n{t('card.note', lang, note=note)}" if note else line


def notice_reply(flow: Flow, state: RequestState, payload: dict, lang: str) -> Reply | None:
    """What the requester reads about a change; None for notices that are not theirs."""
    kind, code = payload["kind"], payload["code"]
    step = flow.step(payload["step_id"])
    role = flow.role_name(step.role, lang)
    if kind == "returned":
        button = Button(t("btn.revise", lang), callbacks.intake("revise", code))
        return Reply(t("notice.returned", lang, code=code, role=role, note=payload["note"]), [[button]])
    if kind == "closed":
        if payload["act"] == "done":
            return Reply(t("notice.done", lang, code=code, title=state.content.title))
        if payload["act"] == "rejected":
            return Reply(t("notice.closed_rejected", lang, code=code))
        return None
    if kind != "decision":
        return None
    act = Act(payload["act"])
    note = f"\n{t('card.note', lang, note=payload['note'])}" if payload["note"] else ""
    lines = [
        t(
            "notice.decision",
            lang,
            mark=MARKS.get(act, "✔️"),
            code=code,
            act=t(f"act.{act.value}", lang),
            step=step.name.get(lang),
            role=role,
            note=note,
        )
    ]
    if act == Act.REJECT and state.status.closed:
        lines.append(t("notice.rejected_new", lang))
    if not state.status.closed and state.step_id != step.id:
        nxt = flow.step(state.step_id)
        lines.append(t("notice.next", lang, step=nxt.name.get(lang), role=flow.role_name(nxt.role, lang)))
    return Reply("\n".join(lines))


def _warnings(flow: Flow, state: RequestState, lang: str) -> list[str]:
    """Soft problems for the reviewer: poster checks made at intake, caption per channel."""
    channels = state.content.channels or flow.rules.channels
    found = [w[1] if lang == "en" else w[0] for m in state.content.media for w in m.warnings]
    found += [issue.message(lang) for issue in check_caption(state.content.caption, channels)]
    return ["", t("card.warnings", lang), *(f"• {w}" for w in found)] if found else []


def timer_banner(flow: Flow, state: RequestState, payload: dict, lang: str, zone: ZoneInfo) -> str:
    """The line above a card that a reminder or an escalation adds."""
    step = flow.step(state.step_id)
    due = local(state.step_due_at, zone) if state.step_due_at else "-"
    key = {"remind": "timer.remind", "due": "timer.due", "escalate": "timer.escalate"}[payload["act"]]
    return t(key, lang, code=state.code, step=step.name.get(lang), role=flow.role_name(step.role, lang),
             due=due)


def with_banner(reply: Reply, banner: str) -> Reply:
    return Reply(f"{banner}\n\n{reply.text}", reply.buttons, reply.media, reply.expect_reply)
