-- Issue 17: a year of data. Retention prunes what only served delivery (sent notices and
-- replies, handled updates, fired timers, used or expired link codes: bot/services/retention.py)
-- and folds a finished broadcast's deliveries into one row; the indexes its batches and the
-- loops read by.

-- The deliveries of a finished broadcast, folded by retention: one row per broadcast instead
-- of one outbox row per recipient (20 subscribers made 6.6 KB of outbox rows and indexes per
-- published request; this row is some 300 bytes). Nothing is lost: `deliveries` holds every
-- delivery as the outbox had it, [recipient, status, result, updated_at] each, as JSON,
-- compressed (zlib) and base64-encoded (TEXT on both databases); `counts` is what the monev
-- report reads, {"telegram": {"sent": 20, "failed": 1}}, without unfolding anything.
CREATE TABLE broadcast_deliveries (
    broadcast_id INTEGER NOT NULL PRIMARY KEY REFERENCES broadcasts (id),
    request_id INTEGER NOT NULL REFERENCES requests (id),
    counts TEXT NOT NULL DEFAULT '{}',
    deliveries TEXT NOT NULL DEFAULT '',
    folded_at TEXT NOT NULL
);
CREATE INDEX broadcast_deliveries_request ON broadcast_deliveries (request_id);

-- The broadcasts still waiting for their report (the broadcaster looks each time it goes idle;
-- it read the whole table). The same index as hbc's migration 0011, whichever runs first.
CREATE INDEX IF NOT EXISTS broadcasts_unfinished ON broadcasts (finished_at);
