-- Issue 17: a year of data. Retention prunes what only served delivery (sent notices and
-- replies, handled updates, fired timers, used or expired link codes: bot/services/retention.py)
-- and folds a finished broadcast's deliveries into one row. (The broadcasts' finished_at index
-- the broadcaster reads by is migration 0011's.)

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

