-- Push-info: where publications go, who asked for them, and each broadcast.

-- Channels and groups the bot posts to, registered by an admin.
CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'channel',
    audiences TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    added_at TEXT NOT NULL,
    UNIQUE (platform, chat_id)
);

-- People who asked to receive publications, per audience.
CREATE TABLE subscribers (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    person_id INTEGER REFERENCES people (id),
    audiences TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    blocked_reason TEXT,
    subscribed_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

-- One publication of one request; its deliveries are outbox rows of kind 'broadcast'.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    version INTEGER NOT NULL,
    audiences TEXT NOT NULL DEFAULT '[]',
    due_at TEXT NOT NULL,
    created_by INTEGER REFERENCES people (id),
    progress TEXT NOT NULL DEFAULT '{}',
    finished_at TEXT,
    created_at TEXT NOT NULL
);
