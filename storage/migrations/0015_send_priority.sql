-- Issue 18, several workers: urgent messages go before bulk ones, and a chat's run of messages
-- before new ones, in the send schedule shared by every worker (bot/broadcast/shared.py).
-- A message of a lower class takes a slot only while the schedule is not further ahead of now
-- than its class allows; otherwise the statement takes nothing. `slot_at` is what the last
-- statement gave: the start of the slot it took, or NULL when it took none (then `next_at`
-- says how long until asking again is worth it). One statement per ask either way.
ALTER TABLE send_budget ADD COLUMN slot_at REAL;
