package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func exerciseTenants(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	all := hookline.AdminScope()

	before := time.Now().Add(-time.Second)
	a := mustCreate(t, db, "Acme Agency", hookline.KindAgency, 0)
	if a.ID == 0 || a.CreatedAt.Before(before) || a.CreatedAt.Location() != time.UTC {
		t.Fatalf("created agency = %+v: want an ID and a UTC creation time", a)
	}
	a1 := mustCreate(t, db, "Shop", hookline.KindCompany, a.ID)
	solo := mustCreate(t, db, "Solo", hookline.KindCompany, 0)

	got, err := db.FindTenant(ctx, all, a1.ID)
	if err != nil {
		t.Fatalf("find company: %v", err)
	}
	if *got != *a1 {
		t.Fatalf("found %+v, stored %+v", got, a1)
	}

	t.Run("Invalid", func(t *testing.T) {
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "x", Kind: "person"}), hookline.CodeInvalid, "kind")
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: " ", Kind: hookline.KindAgency}), hookline.CodeInvalid, "name")
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: strings.Repeat("n", hookline.MaxTenantNameLen+1), Kind: hookline.KindAgency}), hookline.CodeInvalid, "name")
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "x", Kind: hookline.KindAgency, AgencyID: a.ID}), hookline.CodeInvalid, "agency_id")
	})
	t.Run("MissingAgency", func(t *testing.T) {
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "x", Kind: hookline.KindCompany, AgencyID: 9999}), hookline.CodeNotFound, "agency_id")
		// A company is not an agency: it cannot own companies.
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "x", Kind: hookline.KindCompany, AgencyID: a1.ID}), hookline.CodeNotFound, "agency_id")
	})
	t.Run("UniqueNames", func(t *testing.T) {
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "Acme Agency", Kind: hookline.KindAgency}), hookline.CodeConflict, "name")
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "Shop", Kind: hookline.KindCompany, AgencyID: a.ID}), hookline.CodeConflict, "name")
		wantCode(t, db.CreateTenant(ctx, &hookline.Tenant{Name: "Solo", Kind: hookline.KindCompany}), hookline.CodeConflict, "name")
		// The same company name under another agency, or standalone, is fine;
		// so is an agency named like a company.
		b := mustCreate(t, db, "Other Agency", hookline.KindAgency, 0)
		mustCreate(t, db, "Shop", hookline.KindCompany, b.ID)
		mustCreate(t, db, "Shop", hookline.KindCompany, 0)
		mustCreate(t, db, "Solo", hookline.KindAgency, 0)
	})
	t.Run("Rename", func(t *testing.T) {
		r, err := db.RenameTenant(ctx, all, solo.ID, "Solo Renamed")
		if err != nil {
			t.Fatalf("rename: %v", err)
		}
		if r.Name != "Solo Renamed" || r.ID != solo.ID || r.Kind != hookline.KindCompany {
			t.Fatalf("renamed = %+v", r)
		}
		if got, _ := db.FindTenant(ctx, all, solo.ID); got.Name != "Solo Renamed" {
			t.Fatalf("stored name = %q after rename", got.Name)
		}
		_, err = db.RenameTenant(ctx, all, solo.ID, "")
		wantCode(t, err, hookline.CodeInvalid, "name")
		mustCreate(t, db, "Taken", hookline.KindCompany, a.ID)
		_, err = db.RenameTenant(ctx, all, a1.ID, "Taken")
		wantCode(t, err, hookline.CodeConflict, "name")
		_, err = db.RenameTenant(ctx, all, 9999, "Nobody")
		wantCode(t, err, hookline.CodeNotFound, "")
	})
	t.Run("Delete", func(t *testing.T) {
		wantCode(t, db.DeleteTenant(ctx, all, a.ID), hookline.CodeConflict, "")
		secret, k := hookline.NewAPIKey(a1.ID)
		_ = secret
		if err := db.CreateKey(ctx, k); err != nil {
			t.Fatalf("create key: %v", err)
		}
		if err := db.DeleteTenant(ctx, all, a1.ID); err != nil {
			t.Fatalf("delete company: %v", err)
		}
		_, err := db.FindTenant(ctx, all, a1.ID)
		wantCode(t, err, hookline.CodeNotFound, "")
		_, err = db.FindKeyByHash(ctx, k.Hash)
		wantCode(t, err, hookline.CodeNotFound, "")
		wantCode(t, db.DeleteTenant(ctx, all, a1.ID), hookline.CodeNotFound, "")
	})
}

// exerciseTenantScopes checks that every method taking a Scope sees exactly
// the tenants in it: two agencies, a company each and a standalone company.
func exerciseTenantScopes(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	f := NewFixture(t, db)
	a, b := f.A, f.B
	everyone := f.Tenants()

	for _, sc := range f.Scopes() {
		t.Run(sc.Name, func(t *testing.T) {
			list, err := db.FindTenants(ctx, hookline.TenantFilter{Scope: sc.Scope})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if got, want := ids(list), ids(sc.Tenants); !slices.Equal(got, want) {
				t.Fatalf("list = %v, want %v", got, want)
			}
			for _, tn := range everyone {
				visible := slices.Contains(sc.Tenants, tn)
				if visible != sc.Scope.SeesTenant(tn) {
					t.Fatalf("Scope.SeesTenant(%s) = %v, store says %v", tn.Name, !visible, visible)
				}
				if sc.Scope.SeesCompany(tn) != slices.Contains(sc.Companies, tn) {
					t.Fatalf("Scope.SeesCompany(%s) = %v, the fixture says otherwise", tn.Name, sc.Scope.SeesCompany(tn))
				}
				_, err := db.FindTenant(ctx, sc.Scope, tn.ID)
				_, rerr := db.RenameTenant(ctx, sc.Scope, tn.ID, tn.Name)
				if visible {
					if err != nil || rerr != nil {
						t.Fatalf("%s in scope: find: %v, rename: %v", tn.Name, err, rerr)
					}
					continue
				}
				wantCode(t, err, hookline.CodeNotFound, "")
				wantCode(t, rerr, hookline.CodeNotFound, "")
				wantCode(t, db.DeleteTenant(ctx, sc.Scope, tn.ID), hookline.CodeNotFound, "")
			}
		})
	}
	t.Run("Filter", func(t *testing.T) {
		list, err := db.FindTenants(ctx, hookline.TenantFilter{Scope: hookline.AdminScope(), Kind: hookline.KindAgency})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(list), ids([]*hookline.Tenant{a, b}); !slices.Equal(got, want) {
			t.Fatalf("agencies = %v, want %v", got, want)
		}
		list, err = db.FindTenants(ctx, hookline.TenantFilter{Scope: hookline.TenantScope(b), AgencyID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 0 {
			t.Fatalf("agency B filtering on agency A's companies saw %v", ids(list))
		}
	})
	// Every tenant is still there: no out-of-scope delete went through.
	list, err := db.FindTenants(ctx, hookline.TenantFilter{Scope: hookline.AdminScope()})
	if err != nil || len(list) != len(everyone) {
		t.Fatalf("after scoped deletes: %d tenants (%v), want %d", len(list), err, len(everyone))
	}
}

func ids(ts []*hookline.Tenant) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
