"""The README's first command on a fresh machine: `./run.sh` in a fresh copy of the repository
(what a clone holds: the tracked files and new ones not ignored, as they stand in this working
tree; no .venv, no ../shared beside it, no token) sets everything up, starts the sandbox, and
its page answers; SIGTERM stops it with exit code 0. Run again, it installs nothing.

Slow on purpose (the first run pip-installs every library into a new .venv); it is the one test
that would have caught run.sh failing with exit 127 on a fresh clone."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SETUP_WAIT = 900  # seconds: a first run installs every library


def fresh_copy(into: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def newcomer_environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUMAS_", "VIRTUAL_ENV"))}
    return env | {"HUMAS_SANDBOX_PORT": str(port), "HUMAS_CONFIG": str(tmp_path / "no-humas.toml")}


def run_until_the_page_answers(repo: Path, env: dict[str, str], port: int) -> str:
    """./run.sh until its page answers HTTP 200, then SIGTERM; everything it printed."""
    process = subprocess.Popen(["./run.sh"], cwd=repo, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    named = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if re.search(r"Open http://127\.0\.0\.1:\d+/", line):
                named.set()
        named.set()  # it ended

    threading.Thread(target=read, daemon=True).start()
    try:
        named.wait(SETUP_WAIT)
        page = re.search(r"Open (http://127\.0\.0\.1:\d+/)", "".join(output))
        assert page, f"./run.sh named no page: {''.join(output)[-3000:]}"
        assert page.group(1) == f"http://127.0.0.1:{port}/", "HUMAS_SANDBOX_PORT was not used"
        with urllib.request.urlopen(page.group(1), timeout=30) as answer:
            assert answer.status == 200 and "humas-bot sandbox" in answer.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    text = "".join(output)
    assert process.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    return text


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_run_sh_on_a_fresh_clone_sets_up_serves_the_sandbox_and_stops_cleanly(tmp_path):
    repo = fresh_copy(tmp_path / "humas-bot")
    port = free_port()
    env = newcomer_environment(tmp_path, port)
    first = run_until_the_page_answers(repo, env, port)
    assert "setup: installing humas-bot" in first and "SANDBOX" in first
    assert (repo / ".venv" / "bin" / "humas-bot").exists()

    second = run_until_the_page_answers(repo, env, port)
    assert "setup: .venv is up to date (run)" in second and "installing" not in second
