-- Bots (issue 17), each owned by a company. The definition (modules,
-- connections, settings) is one JSON document with webhooks named by id.
-- version counts changes, so that a runtime knows when its compiled copy
-- is stale. Deleting a company that still has bots is refused, as for
-- webhooks.
CREATE TABLE bots (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id INTEGER NOT NULL REFERENCES tenants (id),
	name       TEXT NOT NULL,
	definition TEXT NOT NULL,
	version    INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX bots_name ON bots (company_id, name);

-- The webhooks each bot's connections use, kept with every save of the
-- bot, so that deleting a webhook a bot uses is refused (the store names
-- the bots; the foreign key backs it up against a concurrent save).
CREATE TABLE bot_webhooks (
	bot_id     INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
	webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
	PRIMARY KEY (bot_id, webhook_id)
);
CREATE INDEX bot_webhooks_webhook ON bot_webhooks (webhook_id);
