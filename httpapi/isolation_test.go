package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/hookline/hookline"
)

// world is the isolation matrix's cast: two agencies with one company each,
// a key for every tenant, and a spare key per tenant to revoke.
type world struct {
	e       *testEnv
	ids     map[string]int64  // tenant name → id
	keys    map[string]string // principal → secret ("admin" included)
	victims map[string]int64  // tenant name → id of a spare key
}

func newWorld(t *testing.T) *world {
	e := newTestEnv(t, 0)
	w := &world{e: e, ids: map[string]int64{}, keys: map[string]string{"admin": testAdminToken}, victims: map[string]int64{}}
	ctx := context.Background()
	create := func(name string, kind hookline.TenantKind, agency string) {
		tn := &hookline.Tenant{Name: name, Kind: kind, AgencyID: w.ids[agency]}
		if err := e.db.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		w.ids[name] = tn.ID
		secret, k := hookline.NewAPIKey(tn.ID)
		if err := e.db.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		w.keys[name] = secret
		_, spare := hookline.NewAPIKey(tn.ID)
		if err := e.db.CreateKey(ctx, spare); err != nil {
			t.Fatal(err)
		}
		w.victims[name] = spare.ID
	}
	create("A", hookline.KindAgency, "")
	create("A1", hookline.KindCompany, "A")
	create("B", hookline.KindAgency, "")
	create("B1", hookline.KindCompany, "B")
	return w
}

// TestIsolationMatrix: for every principal (admin, agency A, company A1 of
// A, agency B, company B1 of B) and every tenant, each operation either
// works (in scope) or answers 404 with the body a nonexistent tenant gets,
// and changes nothing.
func TestIsolationMatrix(t *testing.T) {
	principals := []string{"admin", "A", "A1", "B", "B1"}
	targets := []string{"A", "A1", "B", "B1"}
	scope := map[string][]string{
		"admin": targets,
		"A":     {"A", "A1"},
		"A1":    {"A1"},
		"B":     {"B", "B1"},
		"B1":    {"B1"},
	}
	inScope := func(p, target string) bool {
		for _, s := range scope[p] {
			if s == target {
				return true
			}
		}
		return false
	}
	// deleteStatus is what an in-scope delete answers: nobody deletes its
	// own tenant, and an agency with companies cannot go.
	deleteStatus := func(p, target string) int {
		switch {
		case p == target:
			return http.StatusForbidden
		case target == "A" || target == "B":
			return http.StatusConflict
		}
		return http.StatusNoContent
	}

	type op struct {
		name   string
		method string
		path   func(w *world, target string) string
		body   string
		status func(p, target string) int // in scope
	}
	tenantPath := func(w *world, target string) string { return fmt.Sprintf("/api/v1/tenants/%d", w.ids[target]) }
	ok := func(status int) func(string, string) int { return func(string, string) int { return status } }
	ops := []op{
		{"read", "GET", tenantPath, "", ok(http.StatusOK)},
		{"update", "PATCH", tenantPath, `{"name": "renamed"}`, ok(http.StatusOK)},
		{"list keys", "GET", func(w *world, target string) string { return tenantPath(w, target) + "/keys" }, "", ok(http.StatusOK)},
		{"create key", "POST", func(w *world, target string) string { return tenantPath(w, target) + "/keys" }, "", ok(http.StatusCreated)},
		{"revoke key", "DELETE", func(w *world, target string) string {
			return fmt.Sprintf("%s/keys/%d", tenantPath(w, target), w.victims[target])
		}, "", ok(http.StatusNoContent)},
		{"delete", "DELETE", tenantPath, "", deleteStatus},
	}

	for _, p := range principals {
		for _, target := range targets {
			t.Run(p+"→"+target, func(t *testing.T) {
				w := newWorld(t)
				key := w.keys[p]
				visible := inScope(p, target)

				// List: the target appears exactly when it is in scope.
				list := want(t, w.e.do("GET", "/api/v1/tenants", key, nil), http.StatusOK).json(t)["tenants"].([]any)
				listed := false
				for _, item := range list {
					if item.(map[string]any)["id"] == float64(w.ids[target]) {
						listed = true
					}
				}
				if listed != visible {
					t.Fatalf("list: target listed = %v, in scope = %v", listed, visible)
				}

				for _, o := range ops {
					var body any
					if o.body != "" {
						body = o.body
					}
					r := w.e.do(o.method, o.path(w, target), key, body)
					if visible {
						if st := o.status(p, target); r.status != st {
							t.Fatalf("%s in scope: status %d, want %d; %s", o.name, r.status, st, r.raw)
						}
						continue
					}
					if r.status != http.StatusNotFound {
						t.Fatalf("%s out of scope: status %d, want 404; %s", o.name, r.status, r.raw)
					}
					d := r.apiError(t)
					if d.Code != "not_found" || d.Message != fmt.Sprintf("tenant %d not found", w.ids[target]) || d.Field != "" {
						t.Fatalf("%s out of scope: %+v, want the body of a tenant that does not exist", o.name, d)
					}
					// A tenant that does not exist gets the very same answer.
					ghost := w.e.do(o.method, fmt.Sprintf("/api/v1/tenants/%d", 999999)+o.path(w, target)[len(tenantPath(w, target)):], key, body)
					if gd := ghost.apiError(t); ghost.status != http.StatusNotFound || gd.Code != d.Code || gd.Message != fmt.Sprintf("tenant %d not found", 999999) {
						t.Fatalf("%s on a missing tenant: %d %+v", o.name, ghost.status, gd)
					}
				}
				if !visible {
					// Nothing changed: the tenant keeps its name and its spare key.
					tn, err := w.e.db.FindTenant(context.Background(), hookline.AdminScope(), w.ids[target])
					if err != nil || tn.Name != target {
						t.Fatalf("after out-of-scope calls: %+v, %v", tn, err)
					}
					keys, err := w.e.db.FindKeys(context.Background(), hookline.KeyFilter{TenantID: w.ids[target]})
					if err != nil || len(keys) != 2 {
						t.Fatalf("after out-of-scope calls the tenant has %d keys (%v), want 2", len(keys), err)
					}
				}
			})
		}
	}
}

// TestCompanyKeyCannotCreateAcrossTenants covers creation, which the matrix
// does not: only agencies (for themselves) and the operator create tenants.
func TestCompanyKeyCannotCreateAcrossTenants(t *testing.T) {
	w := newWorld(t)
	body := fmt.Sprintf(`{"name": "X", "kind": "company", "agency_id": %d}`, w.ids["B"])
	want(t, w.e.do("POST", "/api/v1/tenants", w.keys["A1"], body), http.StatusForbidden)
	d := want(t, w.e.do("POST", "/api/v1/tenants", w.keys["A"], body), http.StatusNotFound).apiError(t)
	if d.Field != "agency_id" {
		t.Fatalf("agency A creating under B: %+v", d)
	}
	want(t, w.e.do("POST", "/api/v1/tenants", w.keys["B"], body), http.StatusCreated)
}
