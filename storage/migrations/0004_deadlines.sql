-- Time standards as data: each step's deadline, and the reminders and escalation it sets.

ALTER TABLE requests ADD COLUMN step_due_at TEXT;

CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    step_id TEXT NOT NULL,
    step_started_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at TEXT NOT NULL,
    fired_at TEXT,
    outcome TEXT,
    UNIQUE (request_id, step_id, step_started_at, kind)
);
CREATE INDEX timers_due ON timers (fired_at, due_at);
