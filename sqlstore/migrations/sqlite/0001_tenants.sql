-- Tenants: agencies and companies. A company belongs to an agency or, when
-- agency_id is NULL, stands alone. An agency with companies cannot be deleted.
CREATE TABLE tenants (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('agency', 'company')),
	agency_id  INTEGER REFERENCES tenants (id) ON DELETE RESTRICT,
	created_at TIMESTAMP NOT NULL,
	CHECK (agency_id IS NULL OR kind = 'company')
);

-- Names are unique among agencies, among one agency's companies, and among
-- standalone companies.
CREATE UNIQUE INDEX tenants_name ON tenants (kind, COALESCE(agency_id, 0), name);
CREATE INDEX tenants_agency ON tenants (agency_id);

-- API keys: only the SHA-256 hash of the secret is stored. tenant_id is NULL
-- for the operator's admin keys. Revoking a key deletes its row.
CREATE TABLE api_keys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant_id  INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
	prefix     TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
