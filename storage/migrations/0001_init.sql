-- The first schema. Portable SQL: TEXT timestamps in ISO 8601 UTC, JSON as TEXT,
-- no SQLite-only functions, so a PostgreSQL backend can run the same statements
-- (with INTEGER PRIMARY KEY mapped to an identity column).

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'id',
    preferred_platform TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE identities (
    platform TEXT NOT NULL CHECK (platform IN ('telegram', 'line')),
    external_id TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people (id),
    username TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, external_id)
);
CREATE INDEX identities_person ON identities (person_id);

CREATE TABLE role_grants (
    person_id INTEGER NOT NULL REFERENCES people (id),
    role TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, role)
);

CREATE TABLE invites (
    code TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    redeemed_by INTEGER REFERENCES people (id),
    redeemed_at TEXT
);

CREATE TABLE code_counters (
    year INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL
);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    flow TEXT NOT NULL,
    requester_id INTEGER NOT NULL REFERENCES people (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    step_id TEXT NOT NULL,
    step_started_at TEXT NOT NULL,
    returned_from TEXT,
    audiences TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requests_requester ON requests (requester_id);
CREATE INDEX requests_step ON requests (status, step_id);

CREATE TABLE request_versions (
    request_id INTEGER NOT NULL REFERENCES requests (id),
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    created_by INTEGER REFERENCES people (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_id, version)
);

CREATE TABLE media (
    sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    filename TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

-- Append-only: the repository offers no update or delete.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    request_id INTEGER REFERENCES requests (id),
    act TEXT NOT NULL,
    step_id TEXT NOT NULL DEFAULT '',
    version INTEGER,
    actor_id INTEGER REFERENCES people (id),
    role TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
);
CREATE INDEX audit_request ON audit_log (request_id);

-- Everything that leaves the bot: written in the transaction that causes it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    request_id INTEGER REFERENCES requests (id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    result TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (status, due_at);

-- An intake in progress, one per person: survives restarts.
CREATE TABLE drafts (
    person_id INTEGER PRIMARY KEY REFERENCES people (id),
    platform TEXT NOT NULL,
    question TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
