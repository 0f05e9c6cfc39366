package httpapi

import (
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) tenantAPI() resource {
	return resource{
		tag: "tenants",
		routes: []route{
			{pattern: "POST /api/v1/tenants", handle: s.createTenant, doc: &operation{
				summary:     "Create an agency or a company",
				description: "Admin keys create agencies and companies; agency keys create their own companies. Company keys cannot create tenants (403).",
				request:     hookline.TenantInput{}, status: http.StatusCreated, response: hookline.Tenant{},
				errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}}},
			{pattern: "GET /api/v1/tenants", handle: s.listTenants, doc: &operation{
				summary:     "List the tenants the caller may see",
				description: "Admin keys see all tenants, agency keys their agency and its companies, company keys their company. Ordered by id, one page at a time.",
				status:      http.StatusOK, response: list{"tenants", hookline.Tenant{}},
				query: append([]param{
					{name: "kind", description: "only agencies or only companies", schema: enum("", string(hookline.KindAgency), string(hookline.KindCompany))},
					{name: "agency_id", description: "only the companies of this agency", schema: map[string]any{"type": "integer"}},
				}, pageParams()...),
				errors: []int{http.StatusBadRequest}}},
			{pattern: "GET /api/v1/tenants/{id}", handle: s.getTenant, doc: &operation{
				summary: "Get a tenant", status: http.StatusOK, response: hookline.Tenant{}, errors: []int{http.StatusNotFound}}},
			{pattern: "PATCH /api/v1/tenants/{id}", handle: s.updateTenant, doc: &operation{
				summary: "Rename a tenant", request: tenantRename{}, status: http.StatusOK, response: hookline.Tenant{},
				errors: []int{http.StatusNotFound, http.StatusConflict}}},
			{pattern: "DELETE /api/v1/tenants/{id}", handle: s.deleteTenant, doc: &operation{
				summary:     "Delete a tenant and its API keys",
				description: "An agency that still has companies, or a tenant that still owns webhooks or webhook templates, cannot be deleted (409; the message counts what is left, such as: tenant 2 still owns 3 webhooks and 1 template). A key cannot delete its own tenant (403).",
				status:      http.StatusNoContent,
				errors:      []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict}}},
		},
	}
}

// tenantRename is the body of PATCH /api/v1/tenants/{id}.
type tenantRename struct {
	Name *string `json:"name" doc:"the new name" required:"true"`
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	var in hookline.TenantInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	t, err := s.tenants.CreateTenant(r.Context(), caller, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/tenants/%d", t.ID))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	agencyID, err := queryID(r, "agency_id")
	if err != nil {
		return err
	}
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.tenants.FindTenants(r.Context(), caller, hookline.TenantKind(r.URL.Query().Get("kind")), agencyID, page)
	if err != nil {
		return err
	}
	writePage(w, "tenants", p)
	return nil
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	t, err := s.tenants.FindTenant(r.Context(), caller, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	var in tenantRename
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	t, err := s.tenants.RenameTenant(r.Context(), caller, id, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	if err := s.tenants.DeleteTenant(r.Context(), caller, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
