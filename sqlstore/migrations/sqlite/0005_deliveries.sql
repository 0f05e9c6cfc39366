-- The durable delivery queue (see delivery/ and sqlstore/delivery.go).
--
-- A delivery is one message to one target: the resource that owns the URL
-- (target_kind 'webhook', target_id a webhook's id; later channels and
-- integrations). The target is not a foreign key: deleting it cancels what
-- waits for it instead of being refused. The request (method, URL, headers,
-- body) is rendered when the delivery is queued and kept as JSON in
-- request; the target's auth and signing secret are applied at send time.
--
-- Order per key: a delivery with an ordering_key (NULL: none) is leased only
-- when no other delivery of its target and key is sending and none before
-- it (smaller id) is pending. A lease sets status 'sending', lease_token, and
-- next_attempt_at to the lease's end: a sending delivery whose lease expired
-- is due again and leased again (at least once). next_attempt_at is NULL
-- once final.
CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id      INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	target_kind     TEXT NOT NULL,
	target_id       INTEGER NOT NULL,
	message_id      TEXT NOT NULL UNIQUE,
	ordering_key    TEXT,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed', 'canceled')),
	request         TEXT NOT NULL,
	attempt_count   INTEGER NOT NULL DEFAULT 0,
	round_attempts  INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMP,
	lease_token     TEXT,
	created_at      TIMESTAMP NOT NULL,
	updated_at      TIMESTAMP NOT NULL
);
-- What the lease query scans: live deliveries by due time (or lease end).
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
-- The predecessors of a delivery on its key: live rows only, so that the
-- check never reads a key's history.
CREATE INDEX deliveries_key ON deliveries (target_kind, target_id, ordering_key, id) WHERE status IN ('pending', 'sending');
-- Listings, newest first.
CREATE INDEX deliveries_company ON deliveries (company_id, id);
-- A target's deliveries by status: what it has sending (the per-target
-- limit), what waits for it (cancel, 410), its failed ones (retry).
CREATE INDEX deliveries_target ON deliveries (target_kind, target_id, status, id);

-- Every attempt of a delivery: one HTTP exchange.
CREATE TABLE delivery_attempts (
	delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	n           INTEGER NOT NULL,
	at          TIMESTAMP NOT NULL,
	status      INTEGER NOT NULL,
	duration_ms REAL NOT NULL,
	error_kind  TEXT NOT NULL,
	error       TEXT NOT NULL,
	response    TEXT NOT NULL,
	PRIMARY KEY (delivery_id, n)
);

-- Idempotency-Key of an enqueue, per target, remembered for 24 hours.
CREATE TABLE delivery_idempotency (
	target_kind  TEXT NOT NULL,
	target_id    INTEGER NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	created_at   TIMESTAMP NOT NULL,
	PRIMARY KEY (target_kind, target_id, key)
);

-- The queue's state of a target: disabled by a 410 answer, and its
-- Standard Webhooks signing secret (sealed), with the previous one still
-- signing until previous_until after a rotation.
CREATE TABLE delivery_targets (
	target_kind     TEXT NOT NULL,
	target_id       INTEGER NOT NULL,
	company_id      INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	disabled_at     TIMESTAMP,
	sealed_secret   TEXT NOT NULL DEFAULT '',
	sealed_previous TEXT NOT NULL DEFAULT '',
	previous_until  TIMESTAMP,
	PRIMARY KEY (target_kind, target_id)
);
