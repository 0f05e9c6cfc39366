package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookline/hookline"
)

func (s *Server) tenantAPI() resource {
	id := "the tenant's id"
	return resource{
		tag: "tenants",
		schemas: map[string]any{
			"Tenant": object([]string{"id", "name", "kind", "created_at"}, map[string]any{
				"id":         typed("integer", id),
				"name":       typed("string", "unique among an agency's companies, among agencies, and among standalone companies"),
				"kind":       enum("agency or company", string(hookline.KindAgency), string(hookline.KindCompany)),
				"agency_id":  typed("integer", "the agency owning this company; absent for agencies and standalone companies"),
				"created_at": timestamp("when the tenant was created"),
			}),
			"TenantList": object([]string{"tenants"}, map[string]any{"tenants": arrayOf(ref("Tenant"))}),
			"CreateTenant": object([]string{"name", "kind"}, map[string]any{
				"name": typed("string", "1 to 200 bytes, no line breaks"),
				"kind": enum("agency or company", string(hookline.KindAgency), string(hookline.KindCompany)),
				"agency_id": typed("integer", "for a company: its agency. Admin keys may omit it to create a standalone company; "+
					"agency keys may omit it or name their own agency"),
			}),
			"UpdateTenant": object([]string{"name"}, map[string]any{"name": typed("string", "the new name")}),
		},
		routes: []route{
			{pattern: "POST /api/v1/tenants", handle: s.createTenant, doc: &operation{
				summary:     "Create an agency or a company",
				description: "Admin keys create agencies and companies; agency keys create their own companies. Company keys cannot create tenants (403).",
				request:     "CreateTenant", status: http.StatusCreated, response: "Tenant",
				errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/tenants", handle: s.listTenants, doc: &operation{
				summary:     "List the tenants the caller may see",
				description: "Admin keys see all tenants, agency keys their agency and its companies, company keys their company.",
				status:      http.StatusOK, response: "TenantList",
				query: []param{
					{name: "kind", description: "only agencies or only companies", schema: enum("", string(hookline.KindAgency), string(hookline.KindCompany))},
					{name: "agency_id", description: "only the companies of this agency", schema: map[string]any{"type": "integer"}},
				},
				errors: []int{http.StatusBadRequest}}},
			{pattern: "GET /api/v1/tenants/{id}", handle: s.getTenant, doc: &operation{
				summary: "Get a tenant", status: http.StatusOK, response: "Tenant", errors: []int{http.StatusNotFound}}},
			{pattern: "PATCH /api/v1/tenants/{id}", handle: s.updateTenant, doc: &operation{
				summary: "Rename a tenant", request: "UpdateTenant", status: http.StatusOK, response: "Tenant",
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/tenants/{id}", handle: s.deleteTenant, doc: &operation{
				summary:     "Delete a tenant and its API keys",
				description: "An agency that still has companies cannot be deleted (409). A key cannot delete its own tenant (403).",
				status:      http.StatusNoContent,
				errors:      []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}}},
		},
	}
}

type tenantJSON struct {
	ID        int64               `json:"id"`
	Name      string              `json:"name"`
	Kind      hookline.TenantKind `json:"kind"`
	AgencyID  *int64              `json:"agency_id,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
}

func toTenantJSON(t *hookline.Tenant) tenantJSON {
	out := tenantJSON{ID: t.ID, Name: t.Name, Kind: t.Kind, CreatedAt: t.CreatedAt}
	if t.AgencyID != 0 {
		agency := t.AgencyID
		out.AgencyID = &agency
	}
	return out
}

func validKind(kind hookline.TenantKind, field string) error {
	if !kind.Valid() {
		return hookline.Invalid(field, "%s must be %q or %q, not %q", field, hookline.KindAgency, hookline.KindCompany, kind)
	}
	return nil
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var req struct {
		Name     *string              `json:"name"`
		Kind     *hookline.TenantKind `json:"kind"`
		AgencyID *int64               `json:"agency_id"`
	}
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	if err := requireFields(required("name", req.Name != nil), required("kind", req.Kind != nil)); err != nil {
		return err
	}
	if err := validKind(*req.Kind, "kind"); err != nil {
		return err
	}
	t := &hookline.Tenant{Name: *req.Name, Kind: *req.Kind}
	if req.AgencyID != nil {
		t.AgencyID = *req.AgencyID
	}
	if !caller.IsAdmin() {
		if caller.Tenant.Kind != hookline.KindAgency {
			return hookline.Errorf(hookline.CodeForbidden, "a company key cannot create tenants")
		}
		if t.Kind != hookline.KindCompany {
			return hookline.Errorf(hookline.CodeForbidden, "an agency key can create companies only")
		}
		if req.AgencyID != nil && *req.AgencyID != caller.Tenant.ID {
			e := hookline.NotFound("agency", *req.AgencyID)
			e.Field = "agency_id"
			return e
		}
		t.AgencyID = caller.Tenant.ID
	} else if req.AgencyID != nil && *req.AgencyID <= 0 {
		return hookline.Invalid("agency_id", "agency_id must be a positive integer")
	}
	if err := s.tenants.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/tenants/%d", t.ID))
	writeJSON(w, http.StatusCreated, toTenantJSON(t))
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	f := hookline.TenantFilter{Scope: caller.Scope()}
	q := r.URL.Query()
	if v := q.Get("kind"); v != "" {
		f.Kind = hookline.TenantKind(v)
		if err := validKind(f.Kind, "kind"); err != nil {
			return err
		}
	}
	if v := q.Get("agency_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return hookline.Invalid("agency_id", "query parameter agency_id must be a positive integer, not %q", v)
		}
		f.AgencyID = id
	}
	ts, err := s.tenants.FindTenants(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]tenantJSON, len(ts))
	for i, t := range ts {
		out[i] = toTenantJSON(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
	return nil
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	t, err := s.tenants.FindTenant(r.Context(), caller.Scope(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t))
	return nil
}

func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	var req struct {
		Name *string `json:"name"`
	}
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	// Look the tenant up before validating the body, so that a tenant
	// outside the scope is a 404 whatever the body says.
	if _, err := s.tenants.FindTenant(r.Context(), caller.Scope(), id); err != nil {
		return err
	}
	if err := requireFields(required("name", req.Name != nil)); err != nil {
		return err
	}
	t, err := s.tenants.RenameTenant(r.Context(), caller.Scope(), id, *req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTenantJSON(t))
	return nil
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	if _, err := s.tenants.FindTenant(r.Context(), caller.Scope(), id); err != nil {
		return err
	}
	if !caller.IsAdmin() && caller.Tenant.ID == id {
		return hookline.Errorf(hookline.CodeForbidden, "a key cannot delete its own tenant; ask its agency or the operator")
	}
	if err := s.tenants.DeleteTenant(r.Context(), caller.Scope(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
