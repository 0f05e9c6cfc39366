// Package tenant implements the use cases of agencies, companies and their
// API keys over the root's store interfaces: who may create, see, rename
// and delete which tenant, which company a new resource belongs to, and
// the resolution of a presented API key into its caller.
package tenant

import (
	"context"
	"fmt"

	"github.com/hookline/hookline"
)

// Service implements hookline.TenantService and hookline.KeyService.
type Service struct {
	tenants hookline.TenantStore
	keys    hookline.KeyStore
	// adminHash is the hash of HOOKLINE_ADMIN_TOKEN, nil when unset.
	adminHash []byte
	cache     *keyCache
}

var (
	_ hookline.TenantService = (*Service)(nil)
	_ hookline.KeyService    = (*Service)(nil)
)

// NewService returns the tenant and key service. adminToken, when set, is
// accepted as an admin key besides the stored ones.
func NewService(tenants hookline.TenantStore, keys hookline.KeyStore, adminToken string) *Service {
	s := &Service{tenants: tenants, keys: keys, cache: newKeyCache(keyCacheTTL, keyCacheSize)}
	if adminToken != "" {
		s.adminHash = hookline.HashAPIKey(adminToken)
	}
	return s
}

func validKind(kind hookline.TenantKind, field string) error {
	if !kind.Valid() {
		return hookline.Invalid(field, "%s must be %q or %q, not %q", field, hookline.KindAgency, hookline.KindCompany, kind)
	}
	return nil
}

// CreateTenant creates an agency or a company. Admin keys create both;
// agency keys create their own companies; company keys create nothing.
func (s *Service) CreateTenant(ctx context.Context, c *hookline.Caller, in hookline.TenantInput) (*hookline.Tenant, error) {
	if err := hookline.Required(hookline.Has("name", in.Name != nil), hookline.Has("kind", in.Kind != nil)); err != nil {
		return nil, err
	}
	if err := validKind(*in.Kind, "kind"); err != nil {
		return nil, err
	}
	t := &hookline.Tenant{Name: *in.Name, Kind: *in.Kind}
	if in.AgencyID != nil {
		t.AgencyID = *in.AgencyID
	}
	if !c.IsAdmin() {
		if c.Tenant.Kind != hookline.KindAgency {
			return nil, hookline.Errorf(hookline.CodeForbidden, "a company key cannot create tenants")
		}
		if t.Kind != hookline.KindCompany {
			return nil, hookline.Errorf(hookline.CodeForbidden, "an agency key can create companies only")
		}
		if in.AgencyID != nil && *in.AgencyID != c.Tenant.ID {
			e := hookline.NotFound("agency", *in.AgencyID)
			e.Field = "agency_id"
			return nil, e
		}
		t.AgencyID = c.Tenant.ID
	} else if in.AgencyID != nil && *in.AgencyID <= 0 {
		return nil, hookline.Invalid("agency_id", "agency_id must be a positive integer")
	}
	// The store checks the name, as it does on renames.
	if err := s.tenants.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// FindTenant returns a tenant the caller may see.
func (s *Service) FindTenant(ctx context.Context, c *hookline.Caller, id int64) (*hookline.Tenant, error) {
	return s.tenants.FindTenant(ctx, c.Scope(), id)
}

// FindTenants lists one page of the tenants the caller sees.
func (s *Service) FindTenants(ctx context.Context, c *hookline.Caller, kind hookline.TenantKind, agencyID int64, page hookline.PageRequest) (hookline.Page[*hookline.Tenant], error) {
	var none hookline.Page[*hookline.Tenant]
	if kind != "" {
		if err := validKind(kind, "kind"); err != nil {
			return none, err
		}
	}
	after, _, limit, err := page.Bounds()
	if err != nil {
		return none, err
	}
	ts, err := s.tenants.FindTenants(ctx, hookline.TenantFilter{Scope: c.Scope(), Kind: kind, AgencyID: agencyID, After: after, Limit: limit + 1})
	if err != nil {
		return none, err
	}
	return hookline.PageOf(ts, limit, func(t *hookline.Tenant) int64 { return t.ID }), nil
}

// RenameTenant renames a tenant the caller may see. The tenant is looked up
// before the name is checked, so that one outside the scope is a 404
// whatever the body says.
func (s *Service) RenameTenant(ctx context.Context, c *hookline.Caller, id int64, name *string) (*hookline.Tenant, error) {
	if _, err := s.tenants.FindTenant(ctx, c.Scope(), id); err != nil {
		return nil, err
	}
	if err := hookline.Required(hookline.Has("name", name != nil)); err != nil {
		return nil, err
	}
	t, err := s.tenants.RenameTenant(ctx, c.Scope(), id, *name)
	if err != nil {
		return nil, err
	}
	// Cached callers carry the tenant; the next request reads the new name.
	s.cache.clear()
	return t, nil
}

// DeleteTenant deletes a tenant and its keys; its keys stop working at once
// on this node.
func (s *Service) DeleteTenant(ctx context.Context, c *hookline.Caller, id int64) error {
	if _, err := s.tenants.FindTenant(ctx, c.Scope(), id); err != nil {
		return err
	}
	if !c.IsAdmin() && c.Tenant.ID == id {
		return hookline.Errorf(hookline.CodeForbidden, "a key cannot delete its own tenant; ask its agency or the operator")
	}
	if err := s.tenants.DeleteTenant(ctx, c.Scope(), id); err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// ResolveCompany returns the company a new resource belongs to. A
// resource's document names its company as company_id (the seeds' "Assign
// to"):
//   - a company key may omit it (its own company is implied) or name its
//     own company; naming any other id answers 404 not_found with field
//     "company_id", exactly like a company that does not exist;
//   - agency keys and admin keys must send it (400 naming company_id
//     otherwise), and it must be one of the agency's companies (any company
//     for admin keys), else 404 not_found with field "company_id".
func (s *Service) ResolveCompany(ctx context.Context, c *hookline.Caller, companyID *int64) (*hookline.Tenant, error) {
	if !c.IsAdmin() && c.Tenant.Kind == hookline.KindCompany {
		if companyID == nil || *companyID == c.Tenant.ID {
			return c.Tenant, nil
		}
		return nil, companyNotFound(*companyID)
	}
	if companyID == nil {
		return nil, hookline.Invalid("company_id", "missing required field %q: name the company this belongs to", "company_id")
	}
	company, err := s.tenants.FindTenant(ctx, c.Scope(), *companyID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound || (err == nil && company.Kind != hookline.KindCompany) {
		return nil, companyNotFound(*companyID)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve company %d: %w", *companyID, err)
	}
	return company, nil
}

func companyNotFound(id int64) error {
	e := hookline.NotFound("company", id)
	e.Field = "company_id"
	return e
}

// CompanyScope returns the scope a listing of company-scoped resources
// applies: the caller's, narrowed to one company when companyID is not 0.
// A company outside the caller's scope answers 404, as if it did not exist.
func (s *Service) CompanyScope(ctx context.Context, c *hookline.Caller, companyID int64) (hookline.Scope, error) {
	if companyID == 0 {
		return c.Scope(), nil
	}
	if companyID < 0 {
		return hookline.Scope{}, hookline.Invalid("company_id", "query parameter company_id must be a positive integer, not %d", companyID)
	}
	company, err := s.ResolveCompany(ctx, c, &companyID)
	if err != nil {
		return hookline.Scope{}, err
	}
	return hookline.TenantScope(company), nil
}
