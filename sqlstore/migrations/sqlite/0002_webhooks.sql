-- Webhook definitions, each owned by a company. The definition is stored as
-- one JSON document (method, url, auth, headers, params, context values,
-- body, custom variables...), with the auth secrets sealed (AES-GCM) inside
-- it, so the database file never holds a password, token or API key in
-- clear. Deleting a company that still has webhooks is refused (the
-- foreign key's default NO ACTION, checked at the end of the statement;
-- RESTRICT would report a trigger error instead): delete its webhooks first.
--
-- template_id links a webhook to the template it was made from: a stored
-- template (positive id) or a built-in one (negative id, not in any table),
-- so it is not a foreign key; deleting a stored template clears the links.
CREATE TABLE webhooks (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id  INTEGER NOT NULL REFERENCES tenants (id),
	name        TEXT NOT NULL,
	template_id INTEGER,
	definition  TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webhooks_name ON webhooks (company_id, name);
CREATE INDEX webhooks_template ON webhooks (template_id);

-- Webhook templates of agencies (offered to all their companies) and of
-- companies. Templates never hold secrets: a secret is a blank the user
-- fills when creating a webhook. Built-in templates ship with the binary and
-- are not stored. Deleting a tenant that still owns templates is refused.
CREATE TABLE webhook_templates (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	owner_id    INTEGER NOT NULL REFERENCES tenants (id),
	scope       TEXT NOT NULL CHECK (scope IN ('agency', 'company')),
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	category    TEXT NOT NULL,
	definition  TEXT NOT NULL,
	blanks      TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webhook_templates_name ON webhook_templates (owner_id, name);
