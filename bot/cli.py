"""The `humas-bot` command. Bad input gives one line naming what is wrong, and exit code 2."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.config import Settings, SettingsError, load_settings
from bot.domain.durations import format_duration
from bot.domain.flow import Flow
from bot.emulator.spec_files import SpecMissing
from bot.flows.loader import FlowError, available, load_flow
from bot.services.people import UnknownRole
from bot.textable import render_table
from bot.usage import fail
from storage.db import DatabaseError
from storage.targets import is_postgres_url

USAGE_ERRORS = (SettingsError, FlowError, DatabaseError, UnknownRole, SpecMissing)


def flow_table(flow: Flow) -> str:
    headers = ["No", "Kegiatan / Step", "Pelaksana / Role", "Kelengkapan", "Waktu", "Output"]
    rows = [
        [str(step.number or i), step.name.id, f"{flow.role_name(step.role)} [{step.role}]", step.needs or "-",
         format_duration(step.standard), step.output or "-"]
        for i, step in enumerate(flow.steps, start=1)
    ]
    title = f"{flow.title.id} / {flow.title.en} ({flow.office})"
    return f"{title}\n\n{render_table(headers, rows)}"


def cmd_flows(args: argparse.Namespace, settings: Settings) -> None:
    if args.name:
        print(flow_table(load_flow(args.name, settings.flows_dir)))
        return
    for name in available(settings.flows_dir):
        flow = load_flow(name, settings.flows_dir)
        marker = "*" if name == settings.flow else " "
        print(f"{marker} {name:<15} {len(flow.request_steps)} steps  {flow.office}: {flow.title.id}")


def identity(args: argparse.Namespace) -> tuple[str, str]:
    if bool(args.telegram) == bool(args.line):
        fail("give exactly one of --telegram ID or --line ID")
    return ("telegram", args.telegram) if args.telegram else ("line", args.line)


async def cmd_roles(args: argparse.Namespace, app: App) -> None:
    if args.action == "list":
        rows = [[r["role"], str(r["person_id"]), r["name"] or "-", r["platform"] or "-",
                 r["external_id"] or "-"] for r in await app.people.listing()]
        headers = ["role", "person", "name", "platform", "id"]
        print(render_table(headers, rows) if rows else "no roles granted")
        return
    if not args.role:
        fail(f"roles {args.action} needs a ROLE")
    platform, external_id = identity(args)
    if args.action == "grant":
        changed = await app.people.grant(args.role, platform, external_id)
        print(f"granted {args.role} to {platform} {external_id}" if changed else "already held")
    else:
        changed = await app.people.revoke(args.role, platform, external_id)
        print(f"revoked {args.role} from {platform} {external_id}" if changed else "not held")


async def cmd_invite(args: argparse.Namespace, app: App) -> None:
    """`invite ROLE [--days N]`, `invite list`, `invite revoke CODE`."""
    now = app.clock.now()
    if args.what == "list":
        rows = [invite_row(row, now, app.settings) for row in await app.people.invites()]
        print(render_table(["code", "role", "state", "made"], rows) if rows else "no invites")
        return
    if args.what == "revoke":
        if not args.code:
            fail("invite revoke needs a CODE; see `humas-bot invite list`")
        if not await app.people.revoke_invite(args.code, now):
            fail(f"no open invite {args.code!r} (unknown, used, revoked or expired); "
                 "see `humas-bot invite list`")
        print(f"revoked {args.code.upper()}")
        return
    if args.code:
        fail(f"invite {args.what} takes no CODE; to end a code: humas-bot invite revoke CODE")
    days = args.days if args.days is not None else app.settings.invite_days
    if days < 1:
        fail(f"--days {days}: an invite lasts at least 1 day")
    code = await app.people.invite(args.what, now, timedelta(days=days))
    print(code)
    until = (now + timedelta(days=days)).astimezone(app.settings.zone)
    print(f"Send /gabung {code} to the bot to take the role {args.what} (one use, until "
          f"{until:%d-%m-%Y %H.%M}).", file=sys.stderr)


def invite_row(row: dict, now: datetime, settings: Settings) -> list[str]:
    def local(text: str) -> str:
        return f"{datetime.fromisoformat(text).astimezone(settings.zone):%d-%m-%Y %H.%M}"

    if row["redeemed_by"] is not None:
        state = f"used by {row['redeemed_name'] or row['redeemed_by']} {local(row['redeemed_at'])}"
    elif row["revoked_at"]:
        state = f"revoked {local(row['revoked_at'])}"
    elif datetime.fromisoformat(row["expires_at"]) <= now:
        state = f"expired {local(row['expires_at'])}"
    else:
        state = f"open until {local(row['expires_at'])}"
    return [row["code"], row["role"], state, local(row["created_at"])]


async def cmd_requests(args: argparse.Namespace, app: App) -> None:
    async with app.db.reading() as tx:
        from storage.repositories import Repos

        states = await Repos(tx).requests.listing(status=args.status, limit=args.limit)
    now, zone = app.clock.now(), app.settings.zone
    rows = [[s.code, f"v{s.version}", s.status.value, *step_columns(app, s, now, zone), s.content.title]
            for s in states]
    headers = ["code", "ver", "status", "no", "step", "role", "deadline (WIB)", "late", "title"]
    print(render_table(headers, rows) if rows else "no requests")


def step_columns(app: App, state, now: datetime, zone) -> list[str]:
    """No, step, role, deadline and lateness (in working time) of a request's current step."""
    from bot.domain.record import step_numbers
    from bot.domain.worktime import working_between

    step = app.flow.step(state.step_id)
    name = step.name.id if len(step.name.id) <= 48 else step.name.id[:47] + "…"
    if state.status.closed:
        return [str(step_numbers(app.flow).get(step.id, "")), "-", "-", "-", "-"]
    active = state.status.value == "active"
    role = app.flow.role_name(step.role if active else "requester")
    due, late = state.step_due_at, "-"
    if due is not None and active:
        over = working_between(due, now, app.requests.calendar) if app.requests.calendar else now - due
        late = "no" if now <= due else "yes" if over.total_seconds() < 60 else f"yes, {format_duration(over)}"
    shown = due.astimezone(zone).strftime("%d-%m-%Y %H.%M") if due is not None else "-"
    return [str(step_numbers(app.flow).get(step.id, "")), name, role, shown, late]


async def cmd_targets(args: argparse.Namespace, app: App) -> None:
    from storage.repositories import Repos

    async with app.db.transaction() as tx:
        targets = Repos(tx).targets
        if args.action == "add":
            if not args.chat_id:
                fail("targets add needs a CHAT_ID (a channel's @name or numeric id)")
            unknown = [a for a in args.audience if a not in app.flow.rules.audiences]
            if unknown:
                fail(f"unknown audience {unknown[0]!r}; audiences: {', '.join(app.flow.rules.audiences)}")
            await targets.add("telegram", args.chat_id, args.title or args.chat_id, args.kind, args.audience)
            print(f"added {args.kind} {args.chat_id}")
        elif args.action == "remove":
            print("removed" if await targets.remove("telegram", args.chat_id) else "not registered")
        else:
            rows = [[str(t["chat_id"]), t["kind"], t["title"], ", ".join(t["audiences"]) or "all"]
                    for t in await targets.listing()]
            print(render_table(["chat", "kind", "title", "audiences"], rows) if rows else "no targets")


async def cmd_archive(args: argparse.Namespace, app: App) -> None:
    from bot.services.archive import Archive
    from bot.services.requests import UnknownRequest

    archive = Archive(app.db, app.flow, app.files, app.settings.zone, app.requests.calendar)
    try:
        if args.action == "record":  # the printable SOP record alone, as the paper sheet was
            suffix = ".pdf" if args.pdf else ".html"
            path = Path(args.out)
            path = path / f"{args.code}{suffix}" if path.suffix != suffix else path
            path.parent.mkdir(parents=True, exist_ok=True)
            if args.pdf:
                path.write_bytes(await archive.record_pdf(args.code))
            else:
                path.write_text(await archive.record_page(args.code), encoding="utf-8")
        else:
            path = await archive.export(args.code, Path(args.out))
    except UnknownRequest:
        fail(f"unknown request {args.code!r}; see `humas-bot requests`")
    print(path)


def report_period(given_from: str | None, given_to: str | None, today: date) -> tuple[date, date]:
    """The report's dates, both included; by default the last full month."""
    from bot.domain.dates import parse_date

    def parsed(flag: str, text: str) -> date:
        day = parse_date(text)
        if day is None:
            fail(f"bad {flag} {text!r}: use YYYY-MM-DD or DD-MM-YYYY, e.g. 2026-11-01")
        return day

    if given_from is None and given_to is None:
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    end = parsed("--to", given_to) if given_to else today
    start = parsed("--from", given_from) if given_from else end.replace(day=1)
    if start > end:
        fail(f"--from {start:%d-%m-%Y} is after --to {end:%d-%m-%Y}")
    return start, end


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    """Monev: the chart, the CSV and a summary for requests submitted in the period."""
    start, end = report_period(args.start, args.end, datetime.now(settings.zone).date())

    async def write(args: argparse.Namespace, app: App) -> None:
        from bot.reports.chart import render_chart
        from bot.services.monev import monev

        report = await monev(app.db, app.flow, start, end, app.settings.zone)
        stem = Path(args.out) / f"monev-{start.isoformat()}-{end.isoformat()}"
        png, csv = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".csv")
        try:
            png.parent.mkdir(parents=True, exist_ok=True)
            png.write_bytes(render_chart(report))
            csv.write_text(report.to_csv(), encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"cannot write the report into {args.out}: {exc.strerror or exc}")
        print(report.summary_text("id"))
        print(f"\n{png}\n{csv}")

    with_app(write)(args, settings)


SANDBOX_INSTEAD = (
    "humas-bot: no chat platform configured, so this starts the SANDBOX: the bot with sample people in a "
    "web page, against a Telegram emulator on this machine (nothing is sent anywhere, and the database "
    "is left alone). For the real bot: talk to @BotFather in Telegram, send /newbot, set "
    "HUMAS_TELEGRAM_TOKEN to the token it gives (or HUMAS_LINE_CHANNEL_SECRET and HUMAS_LINE_ACCESS_TOKEN), "
    "and run again."
)


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    from bot.runner import run
    from bot.sandbox.main import real_token, run_sandbox

    if args.run_flow:
        settings = settings.model_copy(update={"flow": args.run_flow})
    load_flow(settings.flow, settings.flows_dir)  # an unknown flow is named before anything starts
    if real_token(settings) is None:  # a fresh machine: show the procedure instead of exiting
        print(SANDBOX_INSTEAD, file=sys.stderr, flush=True)
        port, given = sandbox_port(None, settings)
        run_sandbox(settings, port=port, port_given=given, replay="./run.sh --flow {}")
        return
    run(settings)


def sandbox_port(option: int | None, settings: Settings) -> tuple[int, bool]:
    """The sandbox page's port: --port, else HUMAS_SANDBOX_PORT, else the default; and whether it
    was asked for (a port asked for and taken is refused; the default falls back to a free one)."""
    from bot.sandbox.main import DEFAULT_PORT

    chosen = option if option is not None else settings.sandbox_port
    return (DEFAULT_PORT, False) if chosen is None else (chosen, True)


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> None:
    """The bot with sample people in a web page, against the built-in Telegram emulator."""
    from bot.sandbox.main import real_token, run_sandbox

    token = real_token(settings)
    if token and not args.ignore_token:
        fail(f"{token} is set: a real token, which the sandbox never uses (it talks only to its built-in "
             "emulator); say which you mean: `humas-bot run` for the real bot, or "
             "`humas-bot sandbox --ignore-token` for the sandbox")
    if args.sandbox_flow:
        settings = settings.model_copy(update={"flow": args.sandbox_flow})
    load_flow(settings.flow, settings.flows_dir)  # an unknown flow is named before anything starts
    database = args.sandbox_database or args.database
    if database and is_postgres_url(database):
        fail("the sandbox plays on a SQLite file of its own (--database FILE), never on PostgreSQL")
    port, given = sandbox_port(args.port, settings)
    run_sandbox(settings, port=port, port_given=given, database=Path(database) if database else None,
                line=args.line, replay="humas-bot sandbox --flow {}" + (" --line" if args.line else ""))


def cmd_db(args: argparse.Namespace, settings: Settings) -> None:
    if args.action in ("stats", "prune"):
        from bot.db_stats import prune_text, stats_text

        async def show(_args: argparse.Namespace, app: App) -> None:
            print(await (stats_text(app) if args.action == "stats" else prune_text(app)))

        with_app(show)(args, settings)
        return
    from bot.db_copy import copy_office

    if not args.target:
        fail("db copy needs the target: postgresql://user:password@host/database")
    media_dir = Path(args.media_dir) if args.media_dir else None
    print(copy_office(settings, args.target, media_dir))


def with_app(handler: Callable[[argparse.Namespace, App], Awaitable[None]]):
    def call(args: argparse.Namespace, settings: Settings) -> None:
        async def main() -> None:
            app = await App.open(settings)
            try:
                await handler(args, app)
            finally:
                await app.close()

        asyncio.run(main())

    return call


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="humas-bot", description="Publication SOPs in Telegram and LINE")
    p.add_argument("--flow", help="flow to use (default: HUMAS_FLOW or 'default')")
    p.add_argument("--database", help="SQLite file or postgresql:// URL (default: HUMAS_DATABASE; humas.db)")
    sub = p.add_subparsers(dest="command", required=True)

    flows = sub.add_parser("flows", help="list flows, or show one as its SOP table")
    flows.add_argument("show", nargs="?", choices=["show"], help=argparse.SUPPRESS)
    flows.add_argument("name", nargs="?")
    flows.set_defaults(func=cmd_flows)

    roles = sub.add_parser("roles", help="grant, revoke or list roles")
    roles.add_argument("action", choices=["grant", "revoke", "list"])
    roles.add_argument("role", nargs="?")
    roles.add_argument("--telegram", metavar="ID")
    roles.add_argument("--line", metavar="ID")
    roles.set_defaults(func=with_app(cmd_roles))

    invite = sub.add_parser("invite", help="a one-time code that grants ROLE in chat; list; revoke CODE")
    invite.add_argument("what", metavar="ROLE|list|revoke",
                        help="a role: print a new code for it; list: every code; revoke: end CODE")
    invite.add_argument("code", nargs="?", help="the code to revoke")
    invite.add_argument("--days", type=int, help="how long a new code works (default HUMAS_INVITE_DAYS, 7)")
    invite.set_defaults(func=with_app(cmd_invite))

    requests = sub.add_parser("requests", help="list requests with their state and current step")
    requests.add_argument("--status", choices=["active", "returned", "rejected", "done", "cancelled"])
    requests.add_argument("--limit", type=int, default=50)
    requests.set_defaults(func=with_app(cmd_requests))

    targets = sub.add_parser("targets", help="Telegram channels and groups that receive push-info")
    targets.add_argument("action", choices=["add", "remove", "list"])
    targets.add_argument("chat_id", nargs="?")
    targets.add_argument("--title", default="")
    targets.add_argument("--kind", choices=["channel", "group"], default="channel")
    targets.add_argument("--audience", action="append", default=[], help="repeat; none means all")
    targets.set_defaults(func=with_app(cmd_targets))

    archive = sub.add_parser("archive", help="export a request's archive, or print its SOP record")
    archive.add_argument("action", choices=["export", "record"],
                         help="export: the zip (record.html and .pdf inside); record: the SOP record alone")
    archive.add_argument("code")
    archive.add_argument("--out", default=".", help="folder, or a .zip / .html / .pdf path (default: here)")
    archive.add_argument("--pdf", action="store_true", help="record: the A4 PDF to print and sign")
    archive.set_defaults(func=with_app(cmd_archive))

    report = sub.add_parser("report", help="monev: chart, CSV and summary of a period (default: last month)")
    report.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD or DD-MM-YYYY")
    report.add_argument("--to", dest="end", metavar="DATE", help="last day, included")
    report.add_argument("--out", default=".", help="folder for monev-FROM-TO.png and .csv (default: here)")
    report.set_defaults(func=cmd_report)

    db = sub.add_parser("db", help="copy this office's SQLite database into an empty PostgreSQL one; "
                                   "stats: table sizes and what retention would prune; prune: prune now")
    db.add_argument("action", choices=["copy", "stats", "prune"])
    db.add_argument("target", metavar="URL", nargs="?", help="for copy: postgresql://user:password@host/database")
    db.add_argument("--media-dir", metavar="DIR",
                    help="copy the media files here too (default: they stay where they are)")
    db.set_defaults(func=cmd_db)

    run = sub.add_parser("run", help="start the bot (the sandbox, when no platform is configured)")
    run.add_argument("--flow", dest="run_flow", metavar="NAME", help="flow to use (e.g. unej)")
    run.set_defaults(func=cmd_run)

    sandbox = sub.add_parser("sandbox", help="try the procedure in a web page: sample people, no bot token")
    sandbox.add_argument("--flow", dest="sandbox_flow", metavar="NAME", help="flow to play (e.g. unej)")
    sandbox.add_argument("--port", type=int,
                         help="page port on 127.0.0.1 (default HUMAS_SANDBOX_PORT or 8765; 0: any free)")
    sandbox.add_argument("--database", dest="sandbox_database", metavar="FILE",
                         help="keep the sandbox's SQLite file here (default: a temporary one)")
    sandbox.add_argument("--ignore-token", action="store_true",
                         help="start even though a real token is set (it is not used)")
    sandbox.add_argument("--line", action="store_true",
                         help="LINE too: a built-in LINE emulator and sample people in LINE chats")
    sandbox.set_defaults(func=cmd_sandbox)
    return p


def main(argv: list[str] | None = None) -> None:
    p = parser()
    args = p.parse_args(argv)
    if args.command == "flows" and args.show and not args.name:
        fail("flows show needs a NAME; see `humas-bot flows`")
    overrides = {k: v for k, v in (("flow", args.flow), ("database", args.database)) if v}
    try:
        settings = load_settings(**overrides)
        args.func(args, settings)
    except USAGE_ERRORS as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
