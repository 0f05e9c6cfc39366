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

-- Bot sessions (issue 17): one user (from_id) of one bot through one
-- channel (channel_id 0: the builder's try console). At most one session
-- of a key is open; an ended one stays for the designer to read. The
-- session's variables, extracted data, reply data and last message are
-- JSON; expires_at is when an open session ends for idleness, which the
-- sweep reads through bot_sessions_expiry.
CREATE TABLE bot_sessions (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	bot_id           INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
	company_id       INTEGER NOT NULL,
	channel_id       INTEGER NOT NULL,
	channel_name     TEXT NOT NULL,
	from_id          TEXT NOT NULL,
	to_id            TEXT NOT NULL,
	state            TEXT NOT NULL CHECK (state IN ('open', 'ended')),
	end_reason       TEXT NOT NULL,
	module_id        INTEGER NOT NULL,
	variables        TEXT NOT NULL,
	extracted        TEXT NOT NULL,
	reply_data       TEXT NOT NULL,
	last_message     TEXT NOT NULL,
	steps            INTEGER NOT NULL,
	created_at       TIMESTAMP NOT NULL,
	last_activity_at TIMESTAMP NOT NULL,
	expires_at       TIMESTAMP NOT NULL,
	ended_at         TIMESTAMP
);
CREATE UNIQUE INDEX bot_sessions_open ON bot_sessions (bot_id, channel_id, from_id) WHERE state = 'open';
CREATE INDEX bot_sessions_bot ON bot_sessions (bot_id, id);
CREATE INDEX bot_sessions_expiry ON bot_sessions (expires_at) WHERE state = 'open';

-- Each message a session handled (its history): the step as JSON (what
-- the user said, the replies, the modules entered, each webhook outcome).
CREATE TABLE bot_steps (
	session_id INTEGER NOT NULL REFERENCES bot_sessions (id) ON DELETE CASCADE,
	n          INTEGER NOT NULL,
	step       TEXT NOT NULL,
	PRIMARY KEY (session_id, n)
);

-- Accepted (async) messages, committed before the channel answers 200 and
-- handled in the background in id order per key. reply is set in the
-- transaction that saves the step, and the row is deleted once the reply
-- is handed over: a row with a reply is only handed over again.
CREATE TABLE bot_inbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	bot_id          INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
	channel_id      INTEGER NOT NULL,
	from_id         TEXT NOT NULL,
	message         TEXT NOT NULL,
	reply           TEXT,
	attempts        INTEGER NOT NULL,
	last_error      TEXT NOT NULL,
	next_attempt_at TIMESTAMP NOT NULL,
	created_at      TIMESTAMP NOT NULL
);
CREATE INDEX bot_inbox_key ON bot_inbox (bot_id, channel_id, from_id, id);

-- Hourly counters per bot and channel (messages in and out, sessions
-- started and ended, webhook calls by outcome), added to in the
-- transaction of the step that counts.
CREATE TABLE bot_metrics (
	bot_id       INTEGER NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
	channel_id   INTEGER NOT NULL,
	hour         TIMESTAMP NOT NULL,
	name         TEXT NOT NULL,
	value        INTEGER NOT NULL,
	channel_name TEXT NOT NULL,
	PRIMARY KEY (bot_id, channel_id, hour, name)
);
