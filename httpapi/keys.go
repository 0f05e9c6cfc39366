package httpapi

import (
	"fmt"
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) keyAPI() resource {
	return resource{
		tag: "keys",
		routes: []route{
			{pattern: "POST /api/v1/tenants/{id}/keys", handle: s.createKey, doc: &operation{
				summary:     "Create an API key for a tenant",
				description: "The key is returned once, in this response; only its hash is stored. The body may be empty or {}.",
				request:     emptyBody{}, optionalBody: true, status: http.StatusCreated, response: hookline.NewKey{},
				errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/tenants/{id}/keys", handle: s.listKeys, doc: &operation{
				summary: "List a tenant's API keys (prefixes only)", status: http.StatusOK, response: list{"keys", hookline.APIKey{}},
				query: pageParams(), errors: []int{http.StatusBadRequest, http.StatusNotFound}}},
			{pattern: "DELETE /api/v1/tenants/{id}/keys/{keyId}", handle: s.revokeKey, doc: &operation{
				summary: "Revoke an API key", description: "The key stops working at once on this node, and within a second on the others sharing its database.",
				status: http.StatusNoContent, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/admin/keys", handle: s.createAdminKey, doc: &operation{
				summary:     "Create an admin key (admin keys only)",
				description: "The key is returned once, in this response. Its tenant_id is 0.",
				request:     emptyBody{}, optionalBody: true, status: http.StatusCreated, response: hookline.NewKey{},
				errors: []int{http.StatusForbidden}}},
			{pattern: "GET /api/v1/admin/keys", handle: s.listAdminKeys, doc: &operation{
				summary: "List the stored admin keys (admin keys only)", status: http.StatusOK, response: list{"keys", hookline.APIKey{}},
				query: pageParams(), errors: []int{http.StatusBadRequest, http.StatusForbidden}}},
			{pattern: "DELETE /api/v1/admin/keys/{keyId}", handle: s.revokeAdminKey, doc: &operation{
				summary:     "Revoke a stored admin key (admin keys only)",
				description: "For instance the one generated on first start, once HOOKLINE_ADMIN_TOKEN or a new admin key replaces it.",
				status:      http.StatusNoContent, errors: []int{http.StatusForbidden, http.StatusNotFound}}},
		},
	}
}

// emptyBody is a body that may be absent or {}.
type emptyBody struct{}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	return s.writeNewKey(w, r, caller, id, fmt.Sprintf("/api/v1/tenants/%d/keys", id))
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	return s.writeKeys(w, r, caller, id)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return err
	}
	return s.deleteKey(w, r, caller, id)
}

func (s *Server) createAdminKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return s.writeNewKey(w, r, caller, 0, "/api/v1/admin/keys")
}

func (s *Server) listAdminKeys(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return s.writeKeys(w, r, caller, 0)
}

func (s *Server) revokeAdminKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	return s.deleteKey(w, r, caller, 0)
}

// writeNewKey creates a key for tenantID (0: an admin key) and answers
// with its secret, the only time it is shown.
func (s *Server) writeNewKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller, tenantID int64, collection string) error {
	var req emptyBody
	if err := s.decode(w, r, &req, true); err != nil {
		return err
	}
	key, err := s.keys.CreateKey(r.Context(), caller, tenantID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", fmt.Sprintf("%s/%d", collection, key.ID))
	writeJSON(w, http.StatusCreated, key)
	return nil
}

func (s *Server) writeKeys(w http.ResponseWriter, r *http.Request, caller *hookline.Caller, tenantID int64) error {
	page, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := s.keys.FindKeys(r.Context(), caller, tenantID, page)
	if err != nil {
		return err
	}
	writePage(w, "keys", p)
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller, tenantID int64) error {
	keyID, err := pathID(r, "keyId", "key")
	if err != nil {
		return err
	}
	if err := s.keys.RevokeKey(r.Context(), caller, tenantID, keyID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
