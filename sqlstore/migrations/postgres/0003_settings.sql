-- Settings the service keeps about itself. seal_canary holds a known text
-- sealed with the secret key, so that a start with another key is refused
-- before any stored secret is read with it. This file mirrors
-- migrations/sqlite/0003_settings.sql.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
