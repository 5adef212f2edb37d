"""The report reads audit data without the JSON parser where the shape is known: whatever an
event holds, it must read exactly what json.loads reads (a wrong deadline would judge an act
late or on time wrongly in the monev report)."""

from __future__ import annotations

import json

import pytest

from storage.report_repos import event_data


@pytest.mark.parametrize("data", [
    {},
    {"step_due_at": "2026-11-02T04:00:00+00:00"},
    {"step_due_at": ""},
    {"step_due_at": None},
    {"step_due_at": "2026-11-02T04:00:00+00:00", "channels": ["instagram"]},
    {"channels": ["x"], "step_due_at": "2026-11-02T04:00:00+00:00"},
    {"step_due_at": 'a"}, {"b": "c'},  # a quote inside the value
    {"step_due_at": "back\\slash"},
    {"step_due_at": "Sélasa"},  # escaped as \u00e9 by json.dumps
    {"step_due_at": "2026", "x": {"y": "z"}},
])
def test_event_data_reads_what_json_reads(data):
    text = json.dumps(data)  # as Audit.append writes it
    assert event_data(text) == json.loads(text)
