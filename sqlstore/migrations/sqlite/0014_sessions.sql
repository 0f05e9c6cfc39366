-- Web UI sessions (see hookline.Session). Only hashes are kept: of the
-- session token the browser's cookie carries, and of the API key that
-- signed in, which each request authenticates again. key_id is NULL for
-- the configured HOOKLINE_ADMIN_TOKEN, which has no row; revoking a stored
-- key, or deleting its tenant, deletes its sessions with it.
CREATE TABLE sessions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash BLOB NOT NULL UNIQUE,
	key_id     INTEGER REFERENCES api_keys (id) ON DELETE CASCADE,
	key_hash   BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_key ON sessions (key_id);
-- Pruning finds the expired sessions by this index.
CREATE INDEX sessions_expires ON sessions (expires_at);
