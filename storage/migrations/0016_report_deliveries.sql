-- The monev report counts each period request's push-info deliveries by platform and status
-- (storage/report_repos.py, ReportRepo.deliveries): a year's report at 100,000 requests reads
-- hundreds of thousands of broadcast rows. With status and recipient in the index the count
-- reads the index alone, not every outbox row it names (a random read of the largest table
-- each). It replaces 0011's outbox_request (request_id, kind), whose queries it serves as well.
CREATE INDEX outbox_request_status ON outbox (request_id, kind, status, recipient);
DROP INDEX outbox_request;
