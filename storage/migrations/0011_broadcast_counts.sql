-- Push-info at the platform's pace: each broadcast counts its deliveries by outcome on its own
-- row, changed in the transaction that marks a delivery, so that the progress message reads
-- one row every few seconds instead of counting the outbox (a full scan once the outbox holds
-- years of rows). Deliveries are outbox rows of kind 'broadcast'; their status goes
-- pending -> sending -> sent / failed / unknown (and back to pending for a retry). n_pending
-- counts the ones not finished, pending or sending: a row turns "sending" in one statement,
-- just before it goes out, without touching the counters.

ALTER TABLE broadcasts ADD COLUMN n_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE broadcasts ADD COLUMN n_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE broadcasts ADD COLUMN n_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE broadcasts ADD COLUMN n_unknown INTEGER NOT NULL DEFAULT 0;

-- A request's deliveries, read once when its broadcast ends (the report) and to count existing
-- broadcasts below. The same index as migration 0006 makes (IF NOT EXISTS: whichever runs first).
CREATE INDEX IF NOT EXISTS outbox_request ON outbox (request_id, kind);

-- The broadcasts still waiting for their report: the sender looks each time it goes idle.
CREATE INDEX broadcasts_unfinished ON broadcasts (finished_at);
-- A request's broadcasts (Broadcasts.for_request, and the count below).
CREATE INDEX broadcasts_request ON broadcasts (request_id);

-- Broadcasts made before this migration: counted once from the outbox (a request has one
-- publication; its deliveries go to its newest broadcast).
UPDATE broadcasts SET
    n_pending = (SELECT COUNT(*) FROM outbox o WHERE o.request_id = broadcasts.request_id
                 AND o.kind = 'broadcast' AND o.status IN ('pending', 'sending')),
    n_sent = (SELECT COUNT(*) FROM outbox o WHERE o.request_id = broadcasts.request_id
              AND o.kind = 'broadcast' AND o.status = 'sent'),
    n_failed = (SELECT COUNT(*) FROM outbox o WHERE o.request_id = broadcasts.request_id
                AND o.kind = 'broadcast' AND o.status = 'failed'),
    n_unknown = (SELECT COUNT(*) FROM outbox o WHERE o.request_id = broadcasts.request_id
                 AND o.kind = 'broadcast' AND o.status = 'unknown')
WHERE id = (SELECT MAX(b.id) FROM broadcasts b WHERE b.request_id = broadcasts.request_id);
