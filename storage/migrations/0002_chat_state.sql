-- Chat state that must survive a restart.

-- Platform events already handled (Telegram update ids, LINE webhookEventId), recorded in
-- the transaction that handles them, so a redelivery is handled once.
CREATE TABLE seen_events (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);

-- What a person's next message answers: a rejection reason, a disposition note, an
-- upload, a channel choice in progress.
CREATE TABLE pending_inputs (
    person_id INTEGER PRIMARY KEY REFERENCES people (id),
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
