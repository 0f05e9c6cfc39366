-- One target's live deliveries in due order. When a target has as many
-- deliveries sending as it may, the queue's lease takes the others target
-- by target from this index instead of reading, in due order, the whole
-- backlog of that target only to skip it.
CREATE INDEX deliveries_target_due ON deliveries (target_kind, target_id, next_attempt_at, id) WHERE status IN ('pending', 'sending');
