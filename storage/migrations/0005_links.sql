-- Linking one person across platforms: /tautkan on one platform gives a one-time code, and
-- /tautkan KODE typed on the other moves that identity onto the code's person.

CREATE TABLE link_codes (
    code TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    platform TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
);
CREATE INDEX link_codes_person ON link_codes (person_id);
