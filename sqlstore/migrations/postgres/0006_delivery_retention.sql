-- This file mirrors migrations/sqlite/0006_delivery_retention.sql; see there for the design.
-- Retention of the delivery queue (see sqlstore/delivery_upkeep.go).
--
-- The pruner deletes final deliveries by status and age in small batches:
-- this index holds final rows only, so that finding the next batch reads
-- what is due for pruning and never the live queue, and so that a pass
-- with nothing to prune costs a lookup, not a scan of the table.
CREATE INDEX deliveries_final ON deliveries (status, updated_at) WHERE status IN ('succeeded', 'failed', 'canceled');
-- Idempotency keys are forgotten after 24 hours, oldest first.
CREATE INDEX delivery_idempotency_created ON delivery_idempotency (created_at);
-- Deleting a delivery deletes its idempotency key (ON DELETE CASCADE):
-- without this index, each deleted delivery would scan the keys.
CREATE INDEX delivery_idempotency_delivery ON delivery_idempotency (delivery_id);
