-- Issue 18 part 2, receiving: several `humas-bot run` processes on one PostgreSQL. One
-- person's (one chat's) updates are handled in order by whichever worker holds the chat's
-- claim: a lease (claimed_until, renewed while the worker lives) that another worker takes
-- once it has run out, or at once when its holder's presence lock is gone (storage/sessions.py).
-- A worker lets a chat go only when none of its updates is pending. SQLite (one process)
-- never writes here.
CREATE TABLE inbox_claims (
    source TEXT NOT NULL,
    chat_key TEXT NOT NULL,
    claimed_by TEXT NOT NULL,      -- the worker (host:pid:random)
    claimed_until TEXT NOT NULL,   -- ISO UTC; past: anyone may take the chat
    PRIMARY KEY (source, chat_key)
);
CREATE INDEX inbox_claims_worker ON inbox_claims (claimed_by);

-- A chat's pending updates, oldest first: what the holder reads before letting a chat go.
CREATE INDEX inbox_pending_chat ON inbox (source, chat_key, id) WHERE status = 'pending';
