package httpapi

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/tenant"
)

// TestResolveCompany checks the rules every company-scoped resource uses to
// pick the company it belongs to, and the listing scope.
func TestResolveCompany(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	svc := tenant.NewService(w.e.db, w.e.db, "")
	callers := map[string]*hookline.Caller{"admin": {}}
	for _, name := range []string{"A", "A1", "B", "B1"} {
		tn, err := w.e.db.FindTenant(ctx, hookline.AdminScope(), w.ids[name])
		if err != nil {
			t.Fatal(err)
		}
		callers[name] = &hookline.Caller{Tenant: tn}
	}
	id := func(name string) *int64 {
		if name == "" {
			return nil
		}
		v, ok := w.ids[name]
		if !ok {
			v = 999999
		}
		return &v
	}
	for _, c := range []struct {
		caller, company string
		want            string // company name, or an error code
	}{
		{"A1", "", "A1"},
		{"A1", "A1", "A1"},
		{"A1", "B1", "not_found"},
		{"A1", "ghost", "not_found"},
		{"A", "", "invalid"},
		{"A", "A1", "A1"},
		{"A", "A", "not_found"}, // an agency is not a company
		{"A", "B1", "not_found"},
		{"B", "B1", "B1"},
		{"B", "A1", "not_found"},
		{"admin", "", "invalid"},
		{"admin", "B1", "B1"},
		{"admin", "B", "not_found"},
		{"admin", "ghost", "not_found"},
	} {
		got, err := svc.ResolveCompany(ctx, callers[c.caller], id(c.company))
		if err != nil {
			if code := string(hookline.ErrorCode(err)); code != c.want || hookline.ErrorField(err) != "company_id" {
				t.Errorf("%s naming %q: error %v (field %q), want %s", c.caller, c.company, err, hookline.ErrorField(err), c.want)
			}
			continue
		}
		if got.ID != w.ids[c.want] {
			t.Errorf("%s naming %q: company %d, want %s", c.caller, c.company, got.ID, c.want)
		}
	}

	for _, c := range []struct {
		caller, query string
		want          hookline.Scope
		code          hookline.Code
	}{
		{"A", "", hookline.TenantScope(callers["A"].Tenant), ""},
		{"A", "?company_id=" + itoa(w.ids["A1"]), hookline.Scope{TenantID: w.ids["A1"], Kind: hookline.KindCompany}, ""},
		{"A", "?company_id=" + itoa(w.ids["B1"]), hookline.Scope{}, hookline.CodeNotFound},
		{"B1", "?company_id=" + itoa(w.ids["A1"]), hookline.Scope{}, hookline.CodeNotFound},
		{"admin", "?company_id=x", hookline.Scope{}, hookline.CodeInvalid},
		{"admin", "", hookline.AdminScope(), ""},
	} {
		companyID, err := queryID(httptest.NewRequest("GET", "/api/v1/things"+c.query, nil), "company_id")
		got := hookline.Scope{}
		if err == nil {
			got, err = svc.CompanyScope(ctx, callers[c.caller], companyID)
		}
		if hookline.ErrorCode(err) != c.code || got != c.want {
			t.Errorf("%s listing %q: scope %+v, error %v; want %+v, code %q", c.caller, c.query, got, err, c.want, c.code)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
