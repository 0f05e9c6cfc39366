package hookline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
)

// TenantKind tells agencies from companies.
type TenantKind string

const (
	// KindAgency is a tenant that owns companies and acts on their behalf.
	KindAgency TenantKind = "agency"
	// KindCompany is a tenant that owns resources such as webhooks. It
	// belongs to one agency, or stands alone when created by the operator
	// without one.
	KindCompany TenantKind = "company"
)

// Valid reports whether k is one of the known kinds.
func (k TenantKind) Valid() bool { return k == KindAgency || k == KindCompany }

// Tenant is an agency or a company. AgencyID is the owning agency of a
// company, or 0 for an agency and for a standalone company.
type Tenant struct {
	ID        int64      `json:"id" doc:"the tenant's id"`
	Name      string     `json:"name" doc:"unique among an agency's companies, among agencies, and among standalone companies"`
	Kind      TenantKind `json:"kind" doc:"agency or company"`
	AgencyID  int64      `json:"agency_id,omitempty" doc:"the agency owning this company; absent for agencies and standalone companies"`
	CreatedAt time.Time  `json:"created_at" doc:"when the tenant was created"`
}

// MaxTenantNameLen bounds tenant names, in bytes.
const MaxTenantNameLen = 200

// ValidateTenantName checks a tenant name for creation and renames.
func ValidateTenantName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Invalid("name", "must not be empty")
	case len(name) > MaxTenantNameLen:
		return Invalid("name", "must be at most %d bytes long", MaxTenantNameLen)
	case strings.ContainsAny(name, "\x00\r\n"):
		return Invalid("name", "must not contain line breaks or NUL")
	}
	return nil
}

// Scope is the set of tenants a caller may see: all of them (the operator),
// an agency and its companies, or one company. Stores apply it inside their
// queries so that anything outside it behaves exactly as if it did not exist.
type Scope struct {
	// All is set for the operator's admin keys.
	All bool
	// TenantID and Kind name the caller's tenant when All is not set.
	TenantID int64
	Kind     TenantKind
}

// AdminScope sees every tenant.
func AdminScope() Scope { return Scope{All: true} }

// TenantScope is the scope of a key that belongs to t.
func TenantScope(t *Tenant) Scope { return Scope{TenantID: t.ID, Kind: t.Kind} }

// SeesTenant reports whether the scope includes tenant t.
func (s Scope) SeesTenant(t *Tenant) bool {
	switch {
	case s.All:
		return true
	case s.Kind == KindAgency:
		return t.ID == s.TenantID || t.AgencyID == s.TenantID
	case s.Kind == KindCompany:
		return t.ID == s.TenantID
	}
	return false
}

// SeesCompany reports whether the scope includes resources owned by company
// c (a Tenant of kind company).
func (s Scope) SeesCompany(c *Tenant) bool {
	return c.Kind == KindCompany && s.SeesTenant(c)
}

// Caller is the authenticated party of one request: the key it presented
// and, unless it is an admin key, the tenant the key belongs to.
type Caller struct {
	KeyID  int64   // 0 for the configured HOOKLINE_ADMIN_TOKEN
	Tenant *Tenant // nil for admin keys
}

// Copy returns a copy of c that shares nothing with it.
func (c *Caller) Copy() *Caller {
	out := *c
	if c.Tenant != nil {
		t := *c.Tenant
		out.Tenant = &t
	}
	return &out
}

// IsAdmin reports whether the caller holds an operator's admin key.
func (c *Caller) IsAdmin() bool { return c.Tenant == nil }

// Scope returns what the caller may see.
func (c *Caller) Scope() Scope {
	if c.IsAdmin() {
		return AdminScope()
	}
	return TenantScope(c.Tenant)
}

// TenantFilter narrows a tenant listing. Scope is always applied; Kind and
// AgencyID, when set, narrow further. After and Limit page the list: ids
// greater than After, at most Limit of them (0: no limit).
type TenantFilter struct {
	Scope    Scope
	Kind     TenantKind
	AgencyID int64
	After    int64
	Limit    int
}

// TenantStore stores tenants. Methods taking a Scope answer CodeNotFound
// for tenants outside it, exactly as for tenants that do not exist.
type TenantStore interface {
	// CreateTenant stores t and sets its ID and CreatedAt. A company's
	// AgencyID must name an existing agency (CodeNotFound otherwise, with
	// field "agency_id"); names are unique among an agency's companies,
	// among agencies, and among standalone companies (CodeConflict).
	CreateTenant(ctx context.Context, t *Tenant) error
	FindTenant(ctx context.Context, scope Scope, id int64) (*Tenant, error)
	// FindTenants lists the tenants in the filter's scope, ordered by ID.
	FindTenants(ctx context.Context, filter TenantFilter) ([]*Tenant, error)
	RenameTenant(ctx context.Context, scope Scope, id int64, name string) (*Tenant, error)
	// DeleteTenant removes a tenant and its keys. An agency that still has
	// companies is not deleted (CodeConflict).
	DeleteTenant(ctx context.Context, scope Scope, id int64) error
}

// APIKey is a stored API key. Only the SHA-256 hash of the secret is kept,
// with a short prefix of it to tell keys apart in listings.
type APIKey struct {
	ID        int64     `json:"id" doc:"the key's id, to revoke it"`
	TenantID  int64     `json:"tenant_id" doc:"the tenant the key acts for; 0 for the operator's admin keys"`
	Prefix    string    `json:"prefix" doc:"the first characters of the key, to tell keys apart"`
	Hash      []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at" doc:"when the key was created"`
}

// KeyFilter pages the keys of one tenant (0: the admin keys).
type KeyFilter struct {
	TenantID int64
	After    int64
	Limit    int
}

// KeyStore stores API keys. Revoking a key deletes it.
type KeyStore interface {
	// CreateKey stores k and sets its ID and CreatedAt.
	CreateKey(ctx context.Context, k *APIKey) error
	// FindKeyByHash returns the key with the given hash, CodeNotFound if none.
	FindKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	// FindKeys lists a tenant's keys (0: the admin keys), ordered by ID.
	FindKeys(ctx context.Context, filter KeyFilter) ([]*APIKey, error)
	// DeleteKey revokes key id of the tenant (0: admin keys); CodeNotFound
	// when the tenant has no such key.
	DeleteKey(ctx context.Context, tenantID, id int64) error
	// CountAdminKeys counts the stored admin keys.
	CountAdminKeys(ctx context.Context) (int, error)
}

// TenantInput is what creates a tenant: the body of POST /api/v1/tenants.
type TenantInput struct {
	Name     *string     `json:"name" required:"true" doc:"1 to 200 bytes, no line breaks"`
	Kind     *TenantKind `json:"kind" required:"true" doc:"agency or company"`
	AgencyID *int64      `json:"agency_id" doc:"for a company: its agency. Admin keys may omit it to create a standalone company; agency keys may omit it or name their own agency"`
}

// TenantService is the use cases of agencies and companies. Every method
// acts for a caller and answers CodeNotFound for tenants outside its scope.
type TenantService interface {
	CreateTenant(ctx context.Context, c *Caller, in TenantInput) (*Tenant, error)
	FindTenant(ctx context.Context, c *Caller, id int64) (*Tenant, error)
	// FindTenants lists what the caller sees, narrowed by kind and agency
	// (zero values: no narrowing), ordered by ID.
	FindTenants(ctx context.Context, c *Caller, kind TenantKind, agencyID int64, page PageRequest) (Page[*Tenant], error)
	RenameTenant(ctx context.Context, c *Caller, id int64, name *string) (*Tenant, error)
	// DeleteTenant removes a tenant and its keys; a key cannot delete its
	// own tenant (CodeForbidden).
	DeleteTenant(ctx context.Context, c *Caller, id int64) error
	// ResolveCompany returns the company a new resource belongs to, given
	// the caller and the company_id it sent (nil: absent). A company key
	// may leave it out; agency and admin keys must send it.
	ResolveCompany(ctx context.Context, c *Caller, companyID *int64) (*Tenant, error)
	// CompanyScope is the scope of a listing narrowed to one company when
	// companyID is not 0.
	CompanyScope(ctx context.Context, c *Caller, companyID int64) (Scope, error)
}

// NewKey is a key just created, with its secret: the only time the secret
// is shown.
type NewKey struct {
	APIKey
	Secret string `json:"key" doc:"the key itself; shown only in this response, store it now"`
}

// KeyService is the use cases of API keys. A tenantID of 0 names the
// operator's admin keys, which only admin keys manage.
type KeyService interface {
	// Authenticate resolves a presented key into its caller; any failure is
	// CodeUnauthorized and never echoes the key.
	Authenticate(ctx context.Context, secret string) (*Caller, error)
	CreateKey(ctx context.Context, c *Caller, tenantID int64) (*NewKey, error)
	FindKeys(ctx context.Context, c *Caller, tenantID int64, page PageRequest) (Page[*APIKey], error)
	// RevokeKey deletes a key: it stops working at once on this node and
	// within a second on the others.
	RevokeKey(ctx context.Context, c *Caller, tenantID, keyID int64) error
}

// keySecretPrefix marks hookline API keys, so that secret scanners and
// people can recognise them.
const keySecretPrefix = "hl_"

// keyDisplayLen is how many characters of a key its listings show.
const keyDisplayLen = len(keySecretPrefix) + 8

// NewAPIKey generates a random key secret and the APIKey record that stores
// it. The secret is returned once, to be shown to its owner, and never kept.
func NewAPIKey(tenantID int64) (secret string, key *APIKey) {
	var b [32]byte
	// crypto/rand.Read never returns an error; it crashes the program
	// irrecoverably if the system's randomness fails.
	_, _ = rand.Read(b[:])
	secret = keySecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, &APIKey{TenantID: tenantID, Prefix: secret[:keyDisplayLen], Hash: HashAPIKey(secret)}
}

// HashAPIKey returns the stored form of a key secret.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
