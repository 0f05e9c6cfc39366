-- Campaigns (issue 18): a chatbot campaign forwards its connection's
-- messages to an integration (integration_id) or runs a bot (bot_id, a bot
-- of the bot runtime, not a foreign key here); a keyword campaign answers
-- its keywords (a JSON array) with its reply. The campaign holds its
-- connection (connections.holder_kind = 'campaign'). An integration linked
-- to campaigns cannot be deleted (the foreign key refuses it, and the
-- service names the campaigns first). integrated_at is when the campaign
-- first went live with its integration.
CREATE TABLE campaigns (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id     INTEGER NOT NULL REFERENCES tenants (id),
	name           TEXT NOT NULL,
	type           TEXT NOT NULL CHECK (type IN ('chatbot', 'keyword')),
	connection_id  INTEGER NOT NULL REFERENCES connections (id),
	integration_id INTEGER REFERENCES integrations (id),
	bot_id         INTEGER,
	keywords       TEXT NOT NULL,
	reply          TEXT NOT NULL,
	status         TEXT NOT NULL CHECK (status IN ('draft', 'live', 'paused')),
	integrated_at  TIMESTAMP,
	created_at     TIMESTAMP NOT NULL,
	updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX campaigns_company ON campaigns (company_id, id);
CREATE INDEX campaigns_integration ON campaigns (integration_id, id);
CREATE UNIQUE INDEX campaigns_connection ON campaigns (connection_id);
