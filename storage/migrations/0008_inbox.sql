-- The inbox: every platform update (a Telegram Update, a LINE webhook event) is stored here
-- before the platform is told it arrived, then handled from here, once. The row is marked
-- handled in the transaction that applies the update's effects and queues its replies, so
-- a crash at any moment leaves it either pending (handled after the restart) or done.

CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,          -- 'telegram', 'line'; 'monev' marks a month reported
    event_id TEXT NOT NULL,        -- Telegram update_id, LINE webhookEventId
    chat_key TEXT NOT NULL DEFAULT '',  -- one person's (or chat's) updates are handled in order
    payload TEXT NOT NULL DEFAULT '',   -- the update as the platform sent it (JSON)
    status TEXT NOT NULL DEFAULT 'pending',  -- pending, handled, failed
    restarts INTEGER NOT NULL DEFAULT 0,  -- starts of the bot that found it still pending
    error TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    handled_at TEXT,
    UNIQUE (source, event_id)
);
CREATE INDEX inbox_pending ON inbox (id) WHERE status = 'pending';

-- It replaces seen_events: ids seen before the upgrade stay seen (a redelivery of one is
-- still recognised).
INSERT INTO inbox (source, event_id, status, received_at, handled_at)
    SELECT source, event_id, 'handled', seen_at, seen_at FROM seen_events;
DROP TABLE seen_events;
