-- Provider connections and Custom Webhook integrations (issue 18).
--
-- A connection's code appears in its public inbound path
-- (/channels/sms/{code}), so it is unique across every tenant. Its provider
-- account is one JSON document with the secrets (auth token, access token,
-- app secret, verify token) sealed inside it, as webhook definitions keep
-- theirs. A connection serves one integration or one campaign, never both:
-- holder_kind and holder_id name it, and a claim is one conditional UPDATE,
-- so two claims racing cannot both win.
CREATE TABLE connections (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id  INTEGER NOT NULL REFERENCES tenants (id),
	type        TEXT NOT NULL CHECK (type IN ('sms', 'whatsapp')),
	code        TEXT NOT NULL UNIQUE,
	provider    TEXT NOT NULL,
	holder_kind TEXT CHECK (holder_kind IN ('integration', 'campaign')),
	holder_id   INTEGER,
	created_at  TIMESTAMP NOT NULL
);
CREATE INDEX connections_company ON connections (company_id, id);
CREATE INDEX connections_holder ON connections (holder_kind, holder_id);

-- Integrations: the request part of the definition (method, URL, params,
-- auth, headers, body fields, events) is one JSON document with the auth
-- secrets and secret items sealed inside, as a webhook's. The reply token
-- is kept as its SHA-256 hash only, with the one it replaced still valid
-- until previous_until after a rotation.
CREATE TABLE integrations (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id          INTEGER NOT NULL REFERENCES tenants (id),
	alias               TEXT NOT NULL,
	status              TEXT NOT NULL CHECK (status IN ('inactive', 'active')),
	definition          TEXT NOT NULL,
	reply_token_hash    BLOB NOT NULL,
	previous_token_hash BLOB,
	previous_until      TIMESTAMP,
	created_at          TIMESTAMP NOT NULL,
	updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX integrations_company ON integrations (company_id, id);
