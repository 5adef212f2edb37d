-- Monev: a request's submission time as a column (the report selects a month's requests by it,
-- with an index, instead of finding each request's first audit event), the indexes the report's
-- set-based queries use, and the evaluation cycle's improvement actions.

ALTER TABLE requests ADD COLUMN submitted_at TEXT;
UPDATE requests SET submitted_at = (
    SELECT MIN(a.at) FROM audit_log a WHERE a.request_id = requests.id
);
UPDATE requests SET submitted_at = created_at WHERE submitted_at IS NULL;
CREATE INDEX IF NOT EXISTS requests_submitted ON requests (flow, submitted_at);

-- A request's messages: its deliveries for the report and the archive, its prompts to edit.
CREATE INDEX IF NOT EXISTS outbox_request ON outbox (request_id, kind);

-- Entries of the procedure itself (evaluation findings, actions and their completion) are
-- audit_log rows without a request: this finds them without reading every request's events.
CREATE INDEX IF NOT EXISTS audit_procedure ON audit_log (request_id, act);

-- The evaluation cycle (UB FISIP rows 9-11, BKK row 9): an improvement or control action
-- decided when a month is evaluated, with its owner and due date. Its creation and its
-- completion are also audit_log entries (the record); this row is what reminders and the next
-- month's report read.
CREATE TABLE evaluation_actions (
    id INTEGER PRIMARY KEY,
    flow TEXT NOT NULL,
    period TEXT NOT NULL,
    step_id TEXT NOT NULL,
    text TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES people (id),
    due_on TEXT NOT NULL,
    created_by INTEGER REFERENCES people (id),
    created_at TEXT NOT NULL,
    reminded_on TEXT,
    done_at TEXT,
    done_by INTEGER REFERENCES people (id),
    done_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evaluation_actions_open ON evaluation_actions (flow, done_at, due_on);
