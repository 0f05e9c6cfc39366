-- The lease query takes due deliveries in (next_attempt_at, id) order and
-- stops at its limit. Indexed on next_attempt_at alone, PostgreSQL's
-- planner could not read that order from the index and chose to scan and
-- sort the whole backlog instead, evaluating the per-key and per-target
-- checks on every live row: about half a second per lease with 10,000
-- deliveries queued, so a backlog drained at a few dozen per second. With
-- id in the index the scan stops as soon as the lease is full.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status IN ('pending', 'sending');
