package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hookline/hookline"
)

func (s *Server) keyAPI() resource {
	keyProps := func(withSecret bool) map[string]any {
		p := map[string]any{
			"id":         typed("integer", "the key's id, to revoke it"),
			"tenant_id":  typed("integer", "the tenant the key acts for"),
			"prefix":     typed("string", "the first characters of the key, to tell keys apart"),
			"created_at": timestamp("when the key was created"),
		}
		if withSecret {
			p["key"] = typed("string", "the key itself; shown only in this response, store it now")
		}
		return p
	}
	return resource{
		tag: "keys",
		schemas: map[string]any{
			"APIKey":    object([]string{"id", "tenant_id", "prefix", "created_at"}, keyProps(false)),
			"NewAPIKey": object([]string{"id", "tenant_id", "prefix", "created_at", "key"}, keyProps(true)),
			"APIKeyList": object([]string{"keys"}, map[string]any{
				"keys": arrayOf(ref("APIKey")),
			}),
			"CreateAPIKey": object(nil, map[string]any{}),
		},
		routes: []route{
			{pattern: "POST /api/v1/tenants/{id}/keys", handle: s.createKey, doc: &operation{
				summary:     "Create an API key for a tenant",
				description: "The key is returned once, in this response; only its hash is stored. The body may be empty or {}.",
				request:     "CreateAPIKey", optionalBody: true, status: http.StatusCreated, response: "NewAPIKey",
				errors: []int{http.StatusNotFound}}},
			{pattern: "GET /api/v1/tenants/{id}/keys", handle: s.listKeys, doc: &operation{
				summary: "List a tenant's API keys (prefixes only)", status: http.StatusOK, response: "APIKeyList",
				errors: []int{http.StatusNotFound}}},
			{pattern: "DELETE /api/v1/tenants/{id}/keys/{keyId}", handle: s.revokeKey, doc: &operation{
				summary: "Revoke an API key", description: "The key stops working at once.",
				status: http.StatusNoContent, errors: []int{http.StatusNotFound}}},
			{pattern: "POST /api/v1/admin/keys", handle: s.createAdminKey, doc: &operation{
				summary:     "Create an admin key (admin keys only)",
				description: "The key is returned once, in this response. Its tenant_id is 0.",
				request:     "CreateAPIKey", optionalBody: true, status: http.StatusCreated, response: "NewAPIKey",
				errors: []int{http.StatusForbidden}}},
			{pattern: "GET /api/v1/admin/keys", handle: s.listAdminKeys, doc: &operation{
				summary: "List the stored admin keys (admin keys only)", status: http.StatusOK, response: "APIKeyList",
				errors: []int{http.StatusForbidden}}},
			{pattern: "DELETE /api/v1/admin/keys/{keyId}", handle: s.revokeAdminKey, doc: &operation{
				summary:     "Revoke a stored admin key (admin keys only)",
				description: "For instance the one generated on first start, once HOOKLINE_ADMIN_TOKEN or a new admin key replaces it.",
				status:      http.StatusNoContent, errors: []int{http.StatusForbidden, http.StatusNotFound}}},
		},
	}
}

type keyJSON struct {
	ID        int64     `json:"id"`
	TenantID  int64     `json:"tenant_id"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
	Key       string    `json:"key,omitempty"`
}

func toKeyJSON(k *hookline.APIKey) keyJSON {
	return keyJSON{ID: k.ID, TenantID: k.TenantID, Prefix: k.Prefix, CreatedAt: k.CreatedAt}
}

// scopedTenant returns the tenant named by the path's {id} when the caller
// may see it.
func (s *Server) scopedTenant(r *http.Request, caller *hookline.Caller) (*hookline.Tenant, error) {
	id, err := pathID(r, "id", "tenant")
	if err != nil {
		return nil, err
	}
	return s.tenants.FindTenant(r.Context(), caller.Scope(), id)
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	t, err := s.scopedTenant(r, caller)
	if err != nil {
		return err
	}
	return s.writeNewKey(w, r, t.ID, fmt.Sprintf("/api/v1/tenants/%d/keys", t.ID))
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	t, err := s.scopedTenant(r, caller)
	if err != nil {
		return err
	}
	return s.writeKeys(w, r, t.ID)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	t, err := s.scopedTenant(r, caller)
	if err != nil {
		return err
	}
	return s.deleteKey(w, r, t.ID)
}

// adminOnly refuses tenant keys on the admin key routes.
func adminOnly(caller *hookline.Caller) error {
	if !caller.IsAdmin() {
		return hookline.Errorf(hookline.CodeForbidden, "only admin keys manage admin keys")
	}
	return nil
}

func (s *Server) createAdminKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	if err := adminOnly(caller); err != nil {
		return err
	}
	return s.writeNewKey(w, r, 0, "/api/v1/admin/keys")
}

func (s *Server) listAdminKeys(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	if err := adminOnly(caller); err != nil {
		return err
	}
	return s.writeKeys(w, r, 0)
}

func (s *Server) revokeAdminKey(w http.ResponseWriter, r *http.Request, caller *hookline.Caller) error {
	if err := adminOnly(caller); err != nil {
		return err
	}
	return s.deleteKey(w, r, 0)
}

// writeNewKey creates a key for tenantID (0: an admin key) and answers
// with its secret, the only time it is shown.
func (s *Server) writeNewKey(w http.ResponseWriter, r *http.Request, tenantID int64, collection string) error {
	var req struct{}
	if err := s.decode(w, r, &req, true); err != nil {
		return err
	}
	secret, key := hookline.NewAPIKey(tenantID)
	if err := s.keys.CreateKey(r.Context(), key); err != nil {
		return err
	}
	out := toKeyJSON(key)
	out.Key = secret
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", fmt.Sprintf("%s/%d", collection, key.ID))
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) writeKeys(w http.ResponseWriter, r *http.Request, tenantID int64) error {
	ks, err := s.keys.FindKeys(r.Context(), tenantID)
	if err != nil {
		return err
	}
	out := make([]keyJSON, len(ks))
	for i, k := range ks {
		out[i] = toKeyJSON(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, tenantID int64) error {
	keyID, err := pathID(r, "keyId", "key")
	if err != nil {
		return err
	}
	if err := s.keys.DeleteKey(r.Context(), tenantID, keyID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
