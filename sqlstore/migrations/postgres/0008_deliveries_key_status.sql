-- The lease takes a delivery only when nothing of its ordering key is
-- sending and nothing older of it is pending. With the status in the key's
-- index both are one index seek; without it, the lease read every live
-- delivery of the key and its row, for every candidate it looked at.
DROP INDEX deliveries_key;
CREATE INDEX deliveries_key ON deliveries (target_kind, target_id, ordering_key, status, id) WHERE status IN ('pending', 'sending');
-- A target's listing, newest first. The status left this index: every
-- change of status rewrote two of its entries, and what a target has live
-- (to cancel, to fail after a 410) is in deliveries_key.
DROP INDEX deliveries_target;
CREATE INDEX deliveries_target ON deliveries (target_kind, target_id, id);
