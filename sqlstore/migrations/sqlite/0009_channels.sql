-- Apps and webhook channels (seed 004, see sqlstore/channel.go).
--
-- An app is a company's client credentials: a client id, the appId claim of
-- the JWTs that call its channels, and a client secret that signs them
-- (HS256), sealed (AES-GCM) like webhook secrets. After a rotation the
-- previous secret stays valid until previous_until. Names need not be
-- unique: a channel created without an app gets one named after it, and
-- two bots may well have channels of the same name.
CREATE TABLE apps (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id      INTEGER NOT NULL REFERENCES tenants (id),
	name            TEXT NOT NULL,
	client_id       TEXT NOT NULL UNIQUE,
	sealed_secret   TEXT NOT NULL,
	sealed_previous TEXT NOT NULL DEFAULT '',
	previous_until  TIMESTAMP,
	created_at      TIMESTAMP NOT NULL,
	updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX apps_company ON apps (company_id, id);

-- A bot's webhook channels. bot_id names a bot of the same company; it is
-- not a foreign key here because the bots table comes with the bot runtime.
-- app_id is NULL for a channel imported with its bot and not yet associated
-- with an app; an app a channel uses cannot be deleted (the store names the
-- channels; the foreign key's NO ACTION is the backstop). The access token
-- of async answers is sealed. A channel answers once approved_at is set
-- (by the operator) and while enabled.
CREATE TABLE channels (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id          INTEGER NOT NULL REFERENCES tenants (id),
	bot_id              INTEGER NOT NULL,
	app_id              INTEGER REFERENCES apps (id),
	type                TEXT NOT NULL CHECK (type IN ('webhook')),
	name                TEXT NOT NULL,
	mode                TEXT NOT NULL CHECK (mode IN ('sync', 'async')),
	post_url            TEXT NOT NULL DEFAULT '',
	sealed_access_token TEXT NOT NULL DEFAULT '',
	require_exp         BOOLEAN NOT NULL DEFAULT FALSE,
	approved_at         TIMESTAMP,
	enabled             BOOLEAN NOT NULL DEFAULT TRUE,
	created_at          TIMESTAMP NOT NULL,
	updated_at          TIMESTAMP NOT NULL
);
-- Names are unique per bot; the bot's first channel is its smallest id.
CREATE UNIQUE INDEX channels_name ON channels (bot_id, name);
CREATE INDEX channels_bot ON channels (bot_id, id);
CREATE INDEX channels_app ON channels (app_id);
CREATE INDEX channels_company ON channels (company_id, id);
