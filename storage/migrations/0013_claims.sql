-- Several `humas-bot run` processes on one PostgreSQL (issue 18): who is sending what.
--
-- An outbox row in a worker's hands names the worker (`claimed_by`, host:pid:random) and until
-- when the claim holds (`claimed_until`, ISO UTC). A live worker renews its claims every few
-- seconds; once `claimed_until` has passed, the worker is taken for dead and another may take
-- the row (a pending one is sent; a Telegram delivery caught in "sending" becomes unknown).
-- On SQLite (one process) nothing claims: the columns stay NULL.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
-- A worker's claims, renewed and released by worker; rows done keep their last claimant.
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE status IN ('pending', 'sending');
-- A chat's rows: the Notifier claims one person's rows together, never one by one.
CREATE INDEX outbox_recipient_open ON outbox (recipient) WHERE status IN ('pending', 'sending');

-- A broadcast's progress message and report are one worker's: the one that claims the broadcast
-- (renewed like the rows; a dead worker's broadcast is taken over, its message edited on).
ALTER TABLE broadcasts ADD COLUMN claimed_by TEXT;
ALTER TABLE broadcasts ADD COLUMN claimed_until TEXT;

-- The 30 messages a second of a bot token, shared by every worker (bot/broadcast/shared.py):
-- `next_at` is the moment (epoch seconds, the database's clock) from which the next message may
-- go. Taking room moves it on by one message's share of the second, in one statement.
CREATE TABLE send_budget (
    token TEXT NOT NULL PRIMARY KEY,
    next_at REAL NOT NULL DEFAULT 0,
    paused_until REAL NOT NULL DEFAULT 0
);
