"""The humas-bot command as an admin types it: real process, real database file."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.databases import database_env, untouched
from tests.ports import free_port


def humas(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    environment |= {"HUMAS_CONFIG": str(tmp_path / "none.toml"), **database_env(tmp_path)}
    environment |= env or {}
    environment = {k: v for k, v in environment.items() if v is not None}  # None: unset
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=environment,
        cwd=tmp_path, timeout=60,
    )


def test_flows_show_unej_prints_the_seven_sop_steps(tmp_path):
    result = humas(tmp_path, "flows", "show", "unej")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line[:2].strip().isdigit()]
    assert [row.split("|")[0].strip() for row in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    expected = [
        ("Wakil Rektor III", "1 hari"), ("Kepala BPKH", "2 jam"), ("Koordinator PKIH", "1 jam"),
        ("Wakil Koordinator Humas", "10 menit"), ("Wakil Koordinator Humas", "5 menit"),
        ("Petugas", "5 menit"), ("Petugas", "5 menit"),
    ]
    for row, (role, time) in zip(rows, expected, strict=True):
        cells = [cell.strip() for cell in row.split("|")]
        assert cells[2].startswith(role) and cells[4] == time, row


def test_flows_lists_every_shipped_flow(tmp_path):
    result = humas(tmp_path, "flows")
    assert result.returncode == 0
    listed = {line.lstrip("* ").split()[0] for line in result.stdout.splitlines()}
    assert {"default", "ismki", "rspon", "unej", "ub-fisip", "bkk-palembang"} <= listed


def test_roles_grant_list_revoke_and_invite(tmp_path):
    assert humas(tmp_path, "roles", "grant", "koordinator", "--telegram", "2001").returncode == 0
    listing = humas(tmp_path, "roles", "list").stdout
    assert "koordinator" in listing and "2001" in listing
    assert "revoked" in humas(tmp_path, "roles", "revoke", "koordinator", "--telegram", "2001").stdout
    assert "no roles granted" in humas(tmp_path, "roles", "list").stdout
    invite = humas(tmp_path, "invite", "petugas")
    assert invite.returncode == 0 and len(invite.stdout.strip()) == 16  # 64 bits, in hex
    assert humas(tmp_path, "requests").stdout.strip() == "no requests"


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--flow", "nope", "requests"], {}, "unknown flow 'nope'"),
        (["flows", "show", "nope"], {}, "unknown flow 'nope'"),
        (["roles", "grant", "bos", "--telegram", "1"], {}, "unknown role 'bos'"),
        (["invite", "bos"], {}, "unknown role 'bos'"),
        (["requests"], {"HUMAS_DATABASE": "/proc/no/such/dir/humas.db"}, "cannot open database"),
        (["requests"], {"HUMAS_DATABASE": "postgresql://humas:s3cret@127.0.0.1:1/humas",
                        "HUMAS_MEDIA_DIR": "media"}, "cannot open database postgresql://humas:***@127.0.0.1:1/humas"),
        (["requests"], {"HUMAS_DATABASE": "postgresql://humas@127.0.0.1:1/humas", "HUMAS_MEDIA_DIR": None},
         "HUMAS_MEDIA_DIR"),
        (["--database", "postgresql://humas@127.0.0.1:1/humas", "sandbox"], {"HUMAS_MEDIA_DIR": "media"},
         "a SQLite file of its own"),
        (["requests"], {"HUMAS_TIMEZONE": "Mars/Base"}, "HUMAS_TIMEZONE"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, args, env, says):
    result = humas(tmp_path, *args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "s3cret" not in result.stderr


def test_run_without_a_token_starts_the_sandbox_and_says_so(tmp_path):
    """A fresh machine: no platform configured. `run` shows the procedure in the sandbox
    instead of exiting, on HUMAS_SANDBOX_PORT, says how to set a real token and how to play
    another flow, and leaves the real database alone."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUMAS_")}
    environment |= {"HUMAS_CONFIG": str(tmp_path / "none.toml"), "HUMAS_SANDBOX_PORT": str(port),
                    **database_env(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--flow", "unej"], cwd=tmp_path,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = []
    try:
        address = None
        for line in process.stdout:  # the banner comes once the sample people are set up
            banner.append(line)
            if "Stop with Ctrl-C" in line:
                break
            found = re.search(r"Open (http://127\.0\.0\.1:\d+/)", line)
            address = address or (found and found.group(1))
        assert address == f"http://127.0.0.1:{port}/", process.stderr.read() if process.poll() else banner
        with urllib.request.urlopen(address, timeout=10) as page:
            assert "humas-bot sandbox" in page.read().decode()
        with urllib.request.urlopen(address + "api/state", timeout=10) as state:
            assert json.load(state)["flow"]["name"] == "unej"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "SANDBOX" in stderr and "BotFather" in stderr and "HUMAS_TELEGRAM_TOKEN" in stderr
    another = next(line for line in banner if "Another office's flow" in line)
    assert "./run.sh --flow ismki" in another  # unej is playing: another one is suggested
    assert "bkk-palembang, default, ismki, rspon, ub-fisip, unej" in another
    assert untouched(tmp_path)


def test_a_sandbox_port_asked_for_and_taken_is_refused(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = humas(tmp_path, "run", env={"HUMAS_SANDBOX_PORT": str(port)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert f"port {port} on 127.0.0.1 is in use" in lines[-1] and "HUMAS_SANDBOX_PORT" in lines[-1]


def test_malformed_flow_file_is_named(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "kantor.toml").write_text(
        'name = "kantor"\noffice = "X"\ntitle = { id = "a", en = "b" }\n'
        'roles = [{ id = "kepala", name = { id = "Kepala", en = "Head" } }]\n'
        '[[steps]]\nid = "setuju"\nname = { id = "a", en = "b" }\nrole = "direktur"\nkind = "approve"\n'
    )
    result = humas(tmp_path, "--flow", "kantor", "requests", env={"HUMAS_FLOWS_DIR": str(flows)})
    assert result.returncode == 2
    assert "kantor.toml" in result.stderr and "'setuju'" in result.stderr and "direktur" in result.stderr


def test_a_spec_file_missing_everywhere_is_named_in_one_line(tmp_path, monkeypatch, capsys):
    """A broken install (no ../shared, a packaged description gone): one line, exit 2."""
    from bot import cli
    from bot.emulator import spec_files

    packaged = tmp_path / "packaged"
    packaged.mkdir()
    telegram = "telegram-bot-api.json.gz"
    (packaged / telegram).write_bytes((spec_files.PACKAGED_DIR / telegram).read_bytes())
    monkeypatch.setattr(spec_files, "PACKAGED_DIR", packaged)
    for name in [k for k in os.environ if k.startswith("HUMAS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUMAS_SPECS_DIR", str(tmp_path / "no-shared"))
    monkeypatch.setenv("HUMAS_CONFIG", str(tmp_path / "none.toml"))
    with pytest.raises(SystemExit) as exited:
        cli.main(["sandbox", "--line", "--port", "0"])
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "line-messaging-api.yml is missing" in lines[0], lines


def test_db_stats_shows_each_table_and_what_retention_would_prune(tmp_path):
    assert humas(tmp_path, "roles", "grant", "koordinator", "--telegram", "2001").returncode == 0
    result = humas(tmp_path, "db", "stats")
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[0].strip(): [cell.strip() for cell in line.split("|")[1:]]
            for line in result.stdout.splitlines() if "|" in line}
    assert rows["role_grants"][0] == "1" and rows["people"][0] == "1"
    assert rows["outbox"][0] == "0" and rows["outbox"][1].endswith("B")  # bytes, on both databases
    assert "retention (30 days; handled updates 7 days) would prune now:" in result.stdout
    assert "0 updates handled (with their payload)" in result.stdout
    pruned = humas(tmp_path, "db", "prune")
    assert pruned.returncode == 0 and "0 notices and replies sent" in pruned.stdout


def test_handled_updates_kept_less_than_telegrams_week_are_refused(tmp_path):
    result = humas(tmp_path, "db", "stats", env={"HUMAS_RETENTION_INBOX_DAYS": "3"})
    assert result.returncode == 2
    assert "HUMAS_RETENTION_INBOX_DAYS" in result.stderr and "7" in result.stderr
