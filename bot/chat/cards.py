"""How a request looks in chat: the card a role holder acts on, and the notices a
requester receives. Platform-neutral Replies.

A card is the disposition sheet (lembar disposisi): besides the request it shows, from the
request's history, the note written for whoever acts now (the reason first after a NO),
what earlier steps produced and chose, and every earlier decision with its SOP row, role,
name, time, act and note. Its parts are separated by blank lines, so that a platform that
must split a long card does so between parts."""

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
from bot.domain.flow import REQUESTER, Flow, Kind
from bot.domain.request import RequestState
from bot.domain.trail import Dossier, Entry
from bot.i18n import t
from bot.services.publishing import Reach, post_text_step, posted

MARKS = {
    Act.APPROVE: "✅", Act.REJECT: "❌", Act.RETURN: "↩️", Act.CANCEL: "🚫", Act.DISPOSE: "📨",
    Act.INSTRUCT: "📨", Act.UPLOAD: "📤", Act.CHOOSE_CHANNELS: "☑️", Act.SUBMIT: "📝",
    Act.CONFIRM: "✅", Act.PUBLISH: "📢", Act.ARCHIVE: "🗄", Act.EVALUATE: "📝",
}
LINE_FOLLOWERS = "line:*"  # in the chosen list: LINE's broadcast to every follower
_LEAD_KEYS = {"dispose": "lead.dispose", "instruct": "lead.instruct", "reject": "lead.reject",
              "return": "lead.return"}


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d-%m-%Y %H.%M")


def step_card(
    flow: Flow,
    dossier: Dossier,
    lang: str,
    zone: ZoneInfo,
    selected: list[str] | None = None,
    with_buttons: bool = True,
    line_followers: bool = False,
    reach: dict[str, Reach] | None = None,
) -> Reply:
    """The request as a role holder sees it at its current step, with that step's buttons.
    `line_followers` offers the petugas LINE's broadcast to every follower; `reach` says
    what each audience choice reaches (the publish step)."""
    state = dossier.state
    step = flow.step(state.step_id)
    parts = [_header(flow, state, lang, zone)]
    parts += _lead(flow, dossier, lang, zone)
    parts.append(_content(flow, dossier, lang))
    parts += _outputs(dossier, lang)
    parts += _warnings(flow, state, lang)
    parts += _trail(flow, dossier, lang, zone)
    if step.kind == Kind.PUBLISH and reach is not None:
        parts.append(_reach(flow, state, selected or [], reach, lang))
    media = [m.model_copy(update={"sha256": m.publish_sha256}) for m in state.content.media[:1]]
    if flow.rules.footer and media and media[0].kind == "image":
        parts.append(t("card.stamped", lang, office=flow.office))
    buttons = step_buttons(flow, state, lang, selected, line_followers) if with_buttons else []
    return Reply("\n\n".join(p for p in parts if p), buttons, media=media,
                 documents=list(state.content.documents))


def _header(flow: Flow, state: RequestState, lang: str, zone: ZoneInfo) -> str:
    step = flow.step(state.step_id)
    number, total = flow.row(step.id)
    due = state.step_due_at
    header = t(
        "card.header", lang, code=state.code, version=state.version, number=number, total=total,
        step=step.name.get(lang), role=flow.role_name(step.role, lang),
        standard=format_duration(step.standard, lang),
        deadline=t("card.deadline", lang, when=local(due, zone)) if due else "",
    )
    return f"{header}\n{t('card.needs', lang, needs=step.needs)}" if step.needs else header


def _lead(flow: Flow, dossier: Dossier, lang: str, zone: ZoneInfo) -> list[str]:
    """The note written for whoever acts now, first: the disposition or instruction that
    sent the request here, the reason of the NO that sent it back, or what the last step did."""
    entry = dossier.addressed()
    if entry is None:
        return []
    who = _who(flow, entry, lang)
    when = local(entry.at, zone)
    key = _LEAD_KEYS.get(entry.act)
    if key is None and entry.act == "submit" and (entry.version or 1) > 1:
        key = "lead.revised"
    if key is None and entry.act in ("upload", "choose_channels"):
        key = f"lead.{entry.act}"
    if key is None and entry.note:
        key = "lead.note"
    if key is None:
        return []
    lines = [t(key, lang, role=who[0], name=who[1], when=when, version=entry.version or "",
               channels=", ".join((entry.data or {}).get("channels", [])),
               changed=_changed(dossier, entry, lang) or "-", produced=_produced(entry, lang))]
    if entry.note:
        lines.append(entry.note)
    return ["\n".join(lines)]


def _who(flow: Flow, entry: Entry, lang: str) -> tuple[str, str]:
    role = t("trail.system", lang) if entry.role == "system" else flow.role_name(entry.role, lang)
    return role, entry.name or "-"


def _content(flow: Flow, dossier: Dossier, lang: str) -> str:
    content = dossier.state.content
    lines = [t("card.subject", lang, subject=content.subject_line()), describe(content, lang)]
    if content.channels:
        lines.append(f"{t('field.channels', lang)}: {', '.join(content.channels)}")
    return "\n".join(lines)


def _outputs(dossier: Dossier, lang: str) -> list[str]:
    """What steps wrote or attached, shown whole: reviewers approve what they can read."""
    content = dossier.state.content
    parts = []
    if content.text.strip():
        version = _last_version_with(dossier, "text")
        parts.append(f"{t('card.text', lang, version=version, length=len(content.text))}\n{content.text}")
    if content.documents:
        names = ", ".join(d.filename or d.mime for d in content.documents)
        parts.append(t("card.documents", lang, names=names))
    return parts


def _last_version_with(dossier: Dossier, field: str) -> int:
    """The version in which `field` last changed (the current one if the history is silent)."""
    for revision in reversed(dossier.revisions):
        if field in dossier.changed(revision.version) or revision.version == 1:
            return revision.version
    return dossier.state.version


def _trail(flow: Flow, dossier: Dossier, lang: str, zone: ZoneInfo) -> list[str]:
    decisions = dossier.decisions
    if not decisions:
        return []
    lines = [t("trail.header", lang)]
    for entry in decisions:
        lines.append(trail_line(flow, dossier, entry, lang, zone))
    evidence = dossier.evidence
    if evidence:
        lines.append(t("trail.evidence", lang))
        for entry in evidence:
            data = entry.data or {}
            lines.append(f"• {data.get('channel', '-')}: {data.get('url', entry.note)}")
    return ["\n".join(lines)]


def trail_line(flow: Flow, dossier: Dossier, entry: Entry, lang: str, zone: ZoneInfo) -> str:
    """One decision as the sheet records it: row, mark, act, role (name), time; then its note,
    the channels it chose, the version it made and what changed."""
    role, name = _who(flow, entry, lang)
    act = _act_name(flow, entry, lang)
    mark, when = MARKS.get(_act(entry.act), "✔️"), local(entry.at, zone)
    number = _row_of(flow, entry)
    key = "trail.line" if number is not None else "trail.line_unnumbered"
    line = t(key, lang, number=number, mark=mark, act=act, role=role, name=name, when=when)
    extra = []
    if (entry.data or {}).get("channels"):
        extra.append(t("trail.channels", lang, channels=", ".join(entry.data["channels"])))
    changed = _changed(dossier, entry, lang)
    if changed:
        extra.append(t("trail.version", lang, version=entry.version, changed=changed))
    if entry.note:
        extra.append(t("card.note", lang, note=entry.note))
    return "\n".join([line, *(f"   {e}" for e in extra)])


def _row_of(flow: Flow, entry: Entry) -> int | None:
    """The SOP row an entry was made at; None for a submission at an official's step (unej's
    row 1 is the Wakil Rektor's: the client's request is what arrives there, not a row)."""
    try:
        step = flow.step(entry.step_id)
    except KeyError:  # a step no longer in the flow file
        return None
    if entry.role == REQUESTER and step.role != REQUESTER:
        return None
    return flow.row(step.id)[0]


def _act(value: str) -> Act | None:
    try:
        return Act(value)
    except ValueError:
        return None


def _act_name(flow: Flow, entry: Entry, lang: str) -> str:
    """The act in the office's words; a NO that sends the request back says where to."""
    act = _act(entry.act)
    if act is None:
        return entry.act
    if act == Act.SUBMIT and (entry.version or 1) > 1:
        return t("act.resubmit", lang, version=entry.version)
    if act == Act.REJECT:
        try:
            back = flow.step(entry.step_id).on_no
        except KeyError:
            back = None
        if back and back != "reject":
            return t("act.reject_back", lang, number=flow.row(back)[0])
    return t(f"act.{act.value}", lang)


def _changed(dossier: Dossier, entry: Entry, lang: str) -> str:
    """What the version this entry made changed, named as the form names the fields."""
    if entry.act not in ("submit", "upload", "approve") or not entry.version or entry.version < 2:
        return ""
    first = next((e for e in dossier.decisions if e.version == entry.version), None)
    if first is not entry:
        return ""  # only the entry that made the version names its changes
    return ", ".join(t(f"field.{name}", lang) for name in dossier.changed(entry.version))


def _produced(entry: Entry, lang: str) -> str:
    kinds = (entry.data or {}).get("produced", [])
    return ", ".join(dict.fromkeys(t(f"output.{kind}", lang) for kind in kinds)) or "-"


def _reach(flow: Flow, state: RequestState, selected: list[str], reach: dict[str, Reach], lang: str) -> str:
    """Before the press: what each audience reaches, and what the press will reach."""
    lines = [t("publish.reach_header", lang)]
    for audience in flow.rules.audiences:
        if audience in reach:
            lines.append(f"• {audience}: {reach_text(reach[audience], lang)}")
    chosen = [a for a in selected if a != LINE_FOLLOWERS]
    press = reach.get("chosen")
    if press is not None:
        key = "publish.reach_chosen" if chosen else "publish.reach_all"
        lines.append(t(key, lang, audiences=", ".join(chosen), reach=reach_text(press, lang)))
    if post_text_step(flow) and state.content.text.strip():
        lines.append(t("publish.posts_text", lang))
    return "\n".join(lines)


def reach_text(reach: Reach, lang: str) -> str:
    text = t("publish.reach", lang, channels=reach.channels, groups=reach.groups, people=reach.people)
    return f"{text} {t('publish.reach_followers', lang)}" if reach.line_followers else text


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
        rows.append([Button(_label(step, act, lang), data(act, arg))])
    return rows


def _label(step, act: Act, lang: str) -> str:
    """An upload button says what the step produces (a written text is typed, not uploaded)."""
    if act == Act.UPLOAD and "text" in step.produces:
        return t("btn.upload_text", lang)
    return t(f"btn.{act.value}", lang)


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
    """Soft problems for the reviewer: poster checks made at intake, and the length of the
    text that will be posted (the caption, or the written text where the flow posts that)."""
    channels = state.content.channels or flow.rules.channels
    found = [w[1] if lang == "en" else w[0] for m in state.content.media for w in m.warnings]
    found += [issue.message(lang) for issue in check_caption(posted(flow, state.content).caption, channels)]
    return ["\n".join([t("card.warnings", lang), *(f"• {w}" for w in found)])] if found else []


def timer_banner(flow: Flow, state: RequestState, payload: dict, lang: str, zone: ZoneInfo) -> str:
    """The line above a card that a reminder or an escalation adds."""
    step = flow.step(state.step_id)
    due = local(state.step_due_at, zone) if state.step_due_at else "-"
    key = {"remind": "timer.remind", "due": "timer.due", "escalate": "timer.escalate"}[payload["act"]]
    return t(key, lang, code=state.code, step=step.name.get(lang), role=flow.role_name(step.role, lang),
             due=due)


def with_banner(reply: Reply, banner: str) -> Reply:
    return Reply(f"{banner}\n\n{reply.text}", reply.buttons, reply.media, reply.expect_reply,
                 documents=reply.documents)
