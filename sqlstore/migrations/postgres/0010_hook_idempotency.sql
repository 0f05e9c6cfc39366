-- This file mirrors migrations/sqlite/0011_hook_idempotency.sql; see there for the design.
CREATE TABLE hook_idempotency (
	channel_id   BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	key          TEXT NOT NULL,
	request_hash BYTEA NOT NULL,
	answered     BOOLEAN NOT NULL DEFAULT FALSE,
	answer       TEXT,
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (channel_id, key)
);
CREATE INDEX hook_idempotency_age ON hook_idempotency (channel_id, created_at);
