"""`humas-bot sandbox` (and `humas-bot run` with no platform configured): start the sandbox,
print its address, run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import logging
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bot.config import Settings
from bot.flows.loader import available
from bot.usage import fail

DEFAULT_PORT = 8765
REAL_TOKENS = (
    ("telegram_token", "HUMAS_TELEGRAM_TOKEN"),
    ("line_access_token", "HUMAS_LINE_ACCESS_TOKEN"),
    ("line_channel_secret", "HUMAS_LINE_CHANNEL_SECRET"),
)


def real_token(settings: Settings) -> str | None:
    """The name of a real platform credential that is set, if any."""
    return next((env for name, env in REAL_TOKENS if getattr(settings, name) is not None), None)


def run_sandbox(settings: Settings, *, port: int = DEFAULT_PORT, port_given: bool = False,
                database: Path | None = None, line: bool = False,
                replay: str = "humas-bot sandbox --flow {}") -> None:
    """Start the sandbox on `settings.flow`. Without `database`, a fresh one in a temporary folder,
    removed at exit: the sample people's roles never reach the office's real database. `replay`:
    the command that plays another flow, as the person started this one ({} is the flow)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("aiohttp.access", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    folder = None
    if database is None:
        folder = Path(tempfile.mkdtemp(prefix="humas-sandbox-"))
        database = folder / "sandbox.db"
    # its own SQLite file, and its media beside it, whatever the office's settings name
    sandboxed = settings.model_copy(update={"database": str(database), "media_dir": None})
    try:
        asyncio.run(_main(sandboxed, port, port_given, folder, line, replay))
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def other_flows(settings: Settings, replay: str) -> str:
    """How to play another office's flow, and which there are: the newcomer's own may be one."""
    names = available(settings.flows_dir)
    example = next((n for n in ("unej", "ismki", *names) if n in names and n != settings.flow), settings.flow)
    return (f"Another office's flow: {replay.format(example)}; flows: {', '.join(names)} "
            "(your own: see \"Adding an office's flow\" in the README)")


async def _main(settings: Settings, port: int, port_given: bool, temporary: Path | None,
                line: bool, replay: str) -> None:
    from bot.sandbox.server import Sandbox

    sandbox = Sandbox(settings, port=port, line=line)
    try:
        address = await sandbox.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        await sandbox.stop()
        if port_given:
            fail(f"port {port} on 127.0.0.1 is in use; choose another with --port N or HUMAS_SANDBOX_PORT")
        sandbox = Sandbox(settings, port=0, line=line)  # the default port is taken: any free one
        address = await sandbox.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, sandbox.request_stop)
    flow = sandbox.flow
    emulators = "Telegram emulator" if sandbox.line is None else "Telegram and LINE emulators"
    people = [f"{p.name} ({p.label})" for p in sandbox.people]
    if sandbox.line is not None:
        people += [f"{p.name}: {p.label}" for p in sandbox.line.people]
    kept = str(settings.database)
    if temporary:
        kept = "temporary, removed at exit (keep one with --database FILE)"
    print(
        f"humas-bot SANDBOX: flow {flow.name} ({flow.office})\n"
        f"  Open {address} in a browser: a chat for each sample person, the SOP table and a clock.\n"
        f"  The bot talks only to the {emulators} built into this program:"
        " nothing leaves this machine.\n"
        f"  People: {', '.join(people)}\n"
        f"  Database: {kept}\n"
        f"  {other_flows(settings, replay)}\n"
        "  Stop with Ctrl-C.",
        flush=True,
    )
    try:
        await sandbox.wait()
    finally:
        await sandbox.stop()
        print("humas-bot sandbox stopped.", file=sys.stderr, flush=True)
