package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/hookline/hookline"
)

// This file holds what every company-scoped resource (webhooks, templates,
// bots...) shares: which company a new resource belongs to, and which
// companies a listing may show.
//
// A resource's request body names its company as "company_id" (the
// seeds' "Assign to"):
//   - a company key may omit it (its own company is implied) or name its own
//     company; naming any other id answers 404 not_found with field
//     "company_id", exactly like a company that does not exist;
//   - agency keys and admin keys must send it (400 naming company_id
//     otherwise), and it must be one of the agency's companies (any company
//     for admin keys), else 404 not_found with field "company_id".

// resolveCompany returns the company a new or moved resource belongs to,
// given the caller and the body's company_id (nil when absent).
func (s *Server) resolveCompany(ctx context.Context, caller *hookline.Caller, companyID *int64) (*hookline.Tenant, error) {
	if !caller.IsAdmin() && caller.Tenant.Kind == hookline.KindCompany {
		if companyID == nil || *companyID == caller.Tenant.ID {
			return caller.Tenant, nil
		}
		return nil, companyNotFound(*companyID)
	}
	if companyID == nil {
		return nil, hookline.Invalid("company_id", "missing required field %q: name the company this belongs to", "company_id")
	}
	company, err := s.tenants.FindTenant(ctx, caller.Scope(), *companyID)
	if hookline.ErrorCode(err) == hookline.CodeNotFound || (err == nil && company.Kind != hookline.KindCompany) {
		return nil, companyNotFound(*companyID)
	}
	if err != nil {
		return nil, err
	}
	return company, nil
}

func companyNotFound(id int64) error {
	e := hookline.NotFound("company", id)
	e.Field = "company_id"
	return e
}

// listScope returns the scope a listing of company-scoped resources
// applies: the caller's, narrowed to one company when the query string has
// company_id=N. A company outside the caller's scope answers 404, as if it
// did not exist. Stores apply the result with their company-scope
// condition (sqlstore's companyScope).
func (s *Server) listScope(r *http.Request, caller *hookline.Caller) (hookline.Scope, error) {
	raw := r.URL.Query().Get("company_id")
	if raw == "" {
		return caller.Scope(), nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return hookline.Scope{}, hookline.Invalid("company_id", "query parameter company_id must be a positive integer, not %q", raw)
	}
	company, err := s.resolveCompany(r.Context(), caller, &id)
	if err != nil {
		return hookline.Scope{}, err
	}
	return hookline.TenantScope(company), nil
}

// companyIDParam documents the company_id query parameter of listings.
func companyIDParam() param {
	return param{
		name:        "company_id",
		description: "only resources of this company (one in the caller's scope)",
		schema:      map[string]any{"type": "integer", "format": "int64"},
	}
}

// pathID parses the path parameter name as a resource id. Anything that is
// not a positive integer cannot name a resource, so it answers 404 like an
// unknown id.
func pathID(r *http.Request, name, kind string) (int64, error) {
	raw := r.PathValue(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, hookline.NotFound(kind, strconv.Quote(raw))
	}
	return id, nil
}
