"""Button data (bot/chat/callbacks.py): what a role holder's button carries must come back
exactly, fit Telegram's 64 bytes, and anything forged or mangled must decode to nothing."""

from __future__ import annotations

import pytest

from bot.chat.callbacks import StepButton, decode, decode_intake, encode, intake
from bot.domain.engine import Act, allowed_acts
from bot.domain.request import request_code
from bot.flows.loader import available, load_flow

TELEGRAM_LIMIT = 64  # bytes of callback_data
LINE_LIMIT = 300  # characters of postback data
CODE = "PUB-2026-0001"
LONG_CODE = request_code(2026, 123456)  # past the four-digit sequence: PUB-2026-123456


@pytest.mark.parametrize("act", list(Act))
def test_every_act_round_trips(act):
    button = StepButton(CODE, 3, 2, act)
    assert decode(encode(button)) == button


@pytest.mark.parametrize("act", list(Act))
def test_every_act_round_trips_with_an_argument(act):
    button = StepButton(CODE, 1, 0, act, "instagram")
    assert decode(encode(button)) == button


def test_every_button_of_every_shipped_flow_round_trips():
    for name in available():
        flow = load_flow(name)
        for index, step in enumerate(flow.request_steps):
            for act in allowed_acts(step):
                for arg in ("", "save", str(len(flow.rules.channels) - 1)):
                    button = StepButton(CODE, 2, index, act, arg)
                    assert decode(encode(button)) == button, (name, step.id, act, arg)


def test_channel_toggle_keeps_its_argument_and_save_is_distinct():
    toggle = decode(encode(StepButton(CODE, 1, 4, Act.CHOOSE_CHANNELS, "2")))
    save = decode(encode(StepButton(CODE, 1, 4, Act.CHOOSE_CHANNELS, "save")))
    plain = decode(encode(StepButton(CODE, 1, 4, Act.CHOOSE_CHANNELS)))
    assert (toggle.arg, save.arg, plain.arg) == ("2", "save", "")


def test_decoded_fields_are_the_right_types():
    button = decode(encode(StepButton(CODE, 12, 7, Act.RETURN)))
    assert button == StepButton(CODE, 12, 7, Act.RETURN)
    assert isinstance(button.version, int) and isinstance(button.step_index, int)
    assert button.act is Act.RETURN


@pytest.mark.parametrize("act", list(Act))
def test_long_code_fits_telegram_and_line(act):
    longest_arg = max((c for name in available() for c in load_flow(name).rules.channels), key=len)
    for arg in ("", "save", longest_arg, "99"):
        data = encode(StepButton(LONG_CODE, 999, 99, act, arg))
        assert len(data.encode("utf-8")) <= TELEGRAM_LIMIT, data
        assert len(data) <= LINE_LIMIT
        assert decode(data) == StepButton(LONG_CODE, 999, 99, act, arg)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "a",
        "garbage",
        "x|PUB-2026-0001|1|0|ap",  # wrong prefix
        "i|PUB-2026-0001|1|0|ap",  # intake prefix, not approval
        "A|PUB-2026-0001|1|0|ap",
        " a|PUB-2026-0001|1|0|ap",
        "a|PUB-2026-0001|one|0|ap",  # non-integer version
        "a|PUB-2026-0001|1.0|0|ap",
        "a|PUB-2026-0001||0|ap",
        "a|PUB-2026-0001|1|x|ap",  # non-integer step index
        "a|PUB-2026-0001|1||ap",
        "a|PUB-2026-0001|1|0|zz",  # unknown act
        "a|PUB-2026-0001|1|0|",
        "a|PUB-2026-0001|1|0|approve",  # the long name is not the wire form
        "a|PUB-2026-0001|1|0|AP",
        "a|PUB-2026-0001|1|0|ap|save|extra",  # too many parts
        "a|PUB-2026-0001|1|0|ap|||",
        "a|PUB-2026-0001|1|0",  # too few parts
        "a|PUB-2026-0001|1",
        "a|PUB-2026-0001|1|0|ap\n",
    ],
)
def test_forged_or_malformed_data_decodes_to_none(data):
    assert decode(data) is None


@pytest.mark.parametrize(
    "data",
    [
        "a|PUB-2026-0001|-1|0|ap",  # negative version
        "a|PUB-2026-0001|1|-1|ap",  # negative step index: would pick the last step from a list
        "a|PUB-2026-0001|+1|0|ap",
        "a|PUB-2026-0001| 1|0|ap",  # int() forgives spaces ...
        "a|PUB-2026-0001|1|0 |ap",
        "a|PUB-2026-0001|1_0|0|ap",  # ... and underscores; encode never writes them
        "a|PUB-2026-0001|1|\u0661|ap",  # an Arabic-Indic digit one
        "a||1|0|ap",  # no request code
    ],
)
def test_numbers_and_code_that_encode_never_writes_decode_to_none(data):
    assert decode(data) is None


def test_decode_is_the_inverse_of_encode_on_wire_data():
    for data in ("a|PUB-2026-0001|1|0|ap", "a|PUB-2026-0042|3|5|ch|save", "a|PUB-2027-0100|10|11|rt"):
        assert encode(decode(data)) == data


@pytest.mark.parametrize(
    ("action", "value"),
    [("next", ""), ("send", ""), ("cancel", ""), ("notes", ""), ("date", "28-11-2026"),
     ("date", ""), ("slot", "08.00-10.00"), ("edit", "publish_date"), ("edit", "summary"),
     ("revise", LONG_CODE), ("edit", "a|b|c")],
)
def test_intake_data_round_trips(action, value):
    data = intake(action, value)
    assert decode_intake(data) == (action, value)
    assert len(data.encode("utf-8")) <= TELEGRAM_LIMIT


def test_intake_default_value_is_empty():
    assert decode_intake(intake("next")) == ("next", "")


@pytest.mark.parametrize(
    "data",
    ["", "i", "i|next", "x|next|", "a|next|", "a|PUB-2026-0001|1|0|ap", "I|next|", "next"],
)
def test_malformed_intake_data_decodes_to_none(data):
    assert decode_intake(data) is None


def test_approval_and_intake_data_are_not_confused():
    approval = encode(StepButton(CODE, 1, 0, Act.APPROVE))
    assert decode_intake(approval) is None
    assert decode(intake("edit", "title")) is None
