package storetest

import (
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlstore"
)

// Fixture is the cast of every scoping check: agency A with companies A1
// and A2, agency B with company B1, and a standalone company S.
type Fixture struct {
	A, A1, A2, B, B1, S *hookline.Tenant
}

// NewFixture creates the fixture's tenants in db.
func NewFixture(t *testing.T, db *sqlstore.DB) *Fixture {
	t.Helper()
	f := &Fixture{}
	f.A = mustCreate(t, db, "A", hookline.KindAgency, 0)
	f.A1 = mustCreate(t, db, "A1", hookline.KindCompany, f.A.ID)
	f.A2 = mustCreate(t, db, "A2", hookline.KindCompany, f.A.ID)
	f.B = mustCreate(t, db, "B", hookline.KindAgency, 0)
	f.B1 = mustCreate(t, db, "B1", hookline.KindCompany, f.B.ID)
	f.S = mustCreate(t, db, "S", hookline.KindCompany, 0)
	return f
}

// Tenants lists every tenant of the fixture.
func (f *Fixture) Tenants() []*hookline.Tenant {
	return []*hookline.Tenant{f.A, f.A1, f.A2, f.B, f.B1, f.S}
}

// Companies lists the fixture's companies, the owners of company-scoped
// resources.
func (f *Fixture) Companies() []*hookline.Tenant { return []*hookline.Tenant{f.A1, f.A2, f.B1, f.S} }

// ScopeCase is one caller's scope and what it must see.
type ScopeCase struct {
	Name  string
	Scope hookline.Scope
	// Tenants the scope sees, and the companies whose resources it sees.
	Tenants, Companies []*hookline.Tenant
}

// Scopes returns one case per kind of caller: the operator, each agency,
// a company of an agency and a standalone company. A company-scoped
// resource's suite creates one resource per company, then checks that each
// case finds, lists, changes and deletes exactly those of Companies and
// gets CodeNotFound for the others.
func (f *Fixture) Scopes() []ScopeCase {
	all := hookline.AdminScope()
	return []ScopeCase{
		{"admin", all, f.Tenants(), f.Companies()},
		{"agency A", hookline.TenantScope(f.A), []*hookline.Tenant{f.A, f.A1, f.A2}, []*hookline.Tenant{f.A1, f.A2}},
		{"company A1", hookline.TenantScope(f.A1), []*hookline.Tenant{f.A1}, []*hookline.Tenant{f.A1}},
		{"agency B", hookline.TenantScope(f.B), []*hookline.Tenant{f.B, f.B1}, []*hookline.Tenant{f.B1}},
		{"standalone S", hookline.TenantScope(f.S), []*hookline.Tenant{f.S}, []*hookline.Tenant{f.S}},
	}
}
