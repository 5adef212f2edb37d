-- Hardening: invite codes that expire and can be revoked, failed code guesses slowed down per
-- person (kept across restarts), channel registrations waiting for a role holder to confirm,
-- and secrets the server makes for itself (the key that signs LINE media URLs).

ALTER TABLE invites ADD COLUMN expires_at TEXT;
ALTER TABLE invites ADD COLUMN revoked_at TEXT;
-- Codes made before this were 32 bits and never expired: they stop working here. An admin
-- makes new ones (`humas-bot invite ROLE`).
UPDATE invites SET expires_at = created_at WHERE expires_at IS NULL;

-- Wrong invite or link codes a person typed: after a few, each further try waits longer.
CREATE TABLE code_attempts (
    person_id INTEGER PRIMARY KEY REFERENCES people (id),
    failures INTEGER NOT NULL DEFAULT 0,
    blocked_until TEXT,
    updated_at TEXT NOT NULL
);

-- `/daftarkan` posted in a channel (where no sender is known): registered only once a holder
-- of the admin or publishing role sends `/daftarkan CODE` to the bot in a private chat.
CREATE TABLE target_claims (
    code TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    audiences TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    confirmed_by INTEGER REFERENCES people (id),
    confirmed_at TEXT
);

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);
