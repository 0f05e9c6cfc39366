-- Chats of integrations with contacts, their messages, and the provider
-- message ids each connection has seen (issue 18).
--
-- A contact has at most one open chat per integration and connection: the
-- partial unique index makes two messages racing to open one agree on it.
-- Chats go with their integration. connection_type and connection_code are
-- kept on the chat, so that its events can name the connection after it
-- was deleted.
CREATE TABLE chats (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id      INTEGER NOT NULL REFERENCES tenants (id),
	integration_id  INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
	connection_id   INTEGER NOT NULL,
	connection_type TEXT NOT NULL,
	connection_code TEXT NOT NULL,
	campaign_id     INTEGER,
	contact         TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('open', 'ended')),
	end_reason      TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMP NOT NULL,
	last_message_at TIMESTAMP NOT NULL,
	ended_at        TIMESTAMP
);
CREATE UNIQUE INDEX chats_open ON chats (integration_id, connection_id, contact) WHERE status = 'open';
CREATE INDEX chats_integration ON chats (integration_id, id);
CREATE INDEX chats_idle ON chats (last_message_at) WHERE status = 'open';

-- multimedia is a JSON object or ''; delivery_ids a JSON array of the
-- deliveries carrying the message (its MESSAGE event, or its provider
-- calls).
CREATE TABLE chat_messages (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	chat_id      INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	text         TEXT NOT NULL,
	multimedia   TEXT NOT NULL,
	provider_id  TEXT NOT NULL,
	delivery_ids TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL
);
CREATE INDEX chat_messages_chat ON chat_messages (chat_id, id);

-- A provider message (MessageSid, wamid) seen on a connection, so that one
-- received twice is handled once; chat_message_id is what it became, when
-- it went to a chat. Pruned after a week.
CREATE TABLE provider_messages (
	connection_id   INTEGER NOT NULL,
	provider_id     TEXT NOT NULL,
	chat_message_id INTEGER,
	created_at      TIMESTAMP NOT NULL,
	PRIMARY KEY (connection_id, provider_id)
);
CREATE INDEX provider_messages_created ON provider_messages (created_at);
