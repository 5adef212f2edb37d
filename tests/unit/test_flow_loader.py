"""Flow files: a malformed one is refused naming the file, the step and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.flow import Flow
from bot.flows.loader import SHIPPED, FlowError, available, load_file, load_flow

HEADER = """
name = "probe"
office = "Humas"
title = { id = "Uji", en = "Probe" }
roles = [{ id = "koordinator", name = { id = "Koordinator", en = "Coordinator" } }]
"""

PERIKSA = """
[[steps]]
id = "periksa"
name = { id = "Memeriksa", en = "Checks" }
role = "koordinator"
kind = "approve"
standard = "15m"
"""

TERBIT = """
[[steps]]
id = "terbit"
name = { id = "Menerbitkan", en = "Publishes" }
role = "koordinator"
kind = "publish"
standard = "1h"
"""


def write(tmp_path: Path, text: str, name: str = "probe.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(FlowError) as error:
        load_file(path)
    message = str(error.value)
    assert str(path) in message
    assert "\n" not in message  # one line for the admin
    return message


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    flow = load_file(write(tmp_path, HEADER + PERIKSA + TERBIT))
    assert [s.id for s in flow.steps] == ["periksa", "terbit"]


def test_unknown_role(tmp_path: Path) -> None:
    text = HEADER + PERIKSA + TERBIT.replace('role = "koordinator"', 'role = "direktur"')
    message = refused(write(tmp_path, text))
    assert "'terbit'" in message and "unknown role 'direktur'" in message


def test_on_no_to_an_unknown_step(tmp_path: Path) -> None:
    text = HEADER + PERIKSA + 'on_no = "tulis"\n' + TERBIT
    message = refused(write(tmp_path, text))
    assert "'periksa'" in message and "on_no" in message and "'tulis'" in message


def test_on_no_on_a_step_that_cannot_say_no(tmp_path: Path) -> None:
    text = HEADER + PERIKSA + TERBIT + 'on_no = "periksa"\n'
    message = refused(write(tmp_path, text))
    assert "'terbit'" in message and "on_no" in message


def test_bad_time_standard(tmp_path: Path) -> None:
    text = HEADER + PERIKSA.replace('"15m"', '"15 menit"') + TERBIT
    message = refused(write(tmp_path, text))
    assert "'periksa'" in message and "standard" in message and "'15 menit'" in message
    assert "15m" in message  # says what to write instead


def test_return_to_requester_when_revisions_are_forbidden(tmp_path: Path) -> None:
    rules = "\n[rules]\nallow_revision = false\n"
    text = HEADER + rules + PERIKSA + 'on_return = "requester"\n' + TERBIT
    message = refused(write(tmp_path, text))
    assert "'periksa'" in message and "allow_revision" in message


def test_duplicate_step_id(tmp_path: Path) -> None:
    text = HEADER + PERIKSA + TERBIT + TERBIT
    message = refused(write(tmp_path, text))
    assert "step 'terbit': duplicate step id" in message
    assert "periksa" not in message


def test_invalid_toml(tmp_path: Path) -> None:
    message = refused(write(tmp_path, HEADER + "[[steps]\nid = 1\n"))
    assert "not valid TOML" in message


def test_unknown_field_names_the_step(tmp_path: Path) -> None:
    text = HEADER + PERIKSA + 'waktu = "15 menit"\n' + TERBIT
    message = refused(write(tmp_path, text))
    assert "'periksa'" in message and "waktu" in message


def test_unknown_kind_names_the_step(tmp_path: Path) -> None:
    text = HEADER + PERIKSA + TERBIT.replace('kind = "publish"', 'kind = "posting"')
    message = refused(write(tmp_path, text))
    assert "'terbit'" in message and "kind" in message


def test_unknown_flow_name_lists_the_available_ones() -> None:
    with pytest.raises(FlowError) as error:
        load_flow("nope")
    message = str(error.value)
    assert "unknown flow 'nope'" in message
    for name in ("default", "ismki", "rspon", "unej", "ub-fisip", "bkk-palembang"):
        assert name in message


def test_an_admin_folder_overrides_a_shipped_flow(tmp_path: Path) -> None:
    write(tmp_path, HEADER.replace('"probe"', '"unej"') + PERIKSA, name="unej.toml")
    assert available(tmp_path)["unej"] == tmp_path / "unej.toml"
    assert load_flow("unej", extra=tmp_path).office == "Humas"
    assert "ismki" in available(tmp_path)


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_flow_loads(path: Path) -> None:
    flow = load_file(path)
    assert isinstance(flow, Flow)
    assert flow.name == path.stem  # the name a request stores is the name it is loaded by
    assert flow.request_steps


def test_all_five_sops_are_shipped() -> None:
    assert {"default", "ismki", "rspon", "unej", "ub-fisip", "bkk-palembang"} <= set(available())


def test_output_kind_and_post_text_fit_their_steps(tmp_path: Path) -> None:
    writing = PERIKSA.replace('kind = "approve"', 'kind = "produce"\noutput_kind = "text"')
    publishing = TERBIT.replace('standard = "1h"', 'standard = "1h"\npost_text = "text"')
    flow = load_file(write(tmp_path, HEADER + writing + publishing))
    assert flow.step("periksa").produces == ("text",)
    assert flow.step("terbit").post_text == "text"
    message = refused(write(tmp_path, HEADER + PERIKSA + TERBIT.replace(
        'standard = "1h"', 'standard = "1h"\noutput_kind = ["text"]'), "bad.toml"))
    assert "terbit" in message and "output_kind only fits" in message
    message = refused(write(tmp_path, HEADER + PERIKSA.replace(
        'standard = "15m"', 'standard = "15m"\npost_text = "text"') + TERBIT, "worse.toml"))
    assert "periksa" in message and "post_text only fits a publish step" in message
    message = refused(write(tmp_path, HEADER + PERIKSA.replace(
        'standard = "15m"', 'standard = "15m"\noutput_kind = "poster"') + TERBIT, "worst.toml"))
    assert "periksa" in message and "output_kind" in message
