-- The Idempotency-Keys of calls to channel hooks, per channel, kept for 24
-- hours: a call whose key was seen gets the first answer back instead of
-- running the bot again. A key is claimed (answered false) before the bot
-- runs and answered (the answer as JSON) after; a claim whose call died is
-- taken over once it is stale. request_hash tells a repeat from another
-- request under the same key.
CREATE TABLE hook_idempotency (
	channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	answered     BOOLEAN NOT NULL DEFAULT FALSE,
	answer       TEXT,
	created_at   TIMESTAMP NOT NULL,
	PRIMARY KEY (channel_id, key)
);
-- What a claim forgets: the channel's keys past the window.
CREATE INDEX hook_idempotency_age ON hook_idempotency (channel_id, created_at);
