-- One target's live deliveries in due order. When a target has as many
-- deliveries sending as it may, the queue's lease takes the others target
-- by target from this index instead of reading, in due order, the whole
-- backlog of that target only to skip it. The term target_id > 0 (always
-- true) is in its condition so that only the queries that repeat it can
-- use the index: without it, PostgreSQL's planner took it for the lease's
-- key-order checks, which deliveries_key answers, and read every live
-- delivery of the target for each candidate.
CREATE INDEX deliveries_target_due ON deliveries (target_kind, target_id, next_attempt_at, id) WHERE status IN ('pending', 'sending') AND target_id > 0;
