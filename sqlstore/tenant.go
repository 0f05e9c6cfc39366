package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/hookline/hookline"
)

var _ hookline.TenantStore = (*DB)(nil)

const tenantColumns = "id, name, kind, agency_id, created_at"

func scanTenant(scan func(...any) error) (*hookline.Tenant, error) {
	var t hookline.Tenant
	var agency sql.NullInt64
	if err := scan(&t.ID, &t.Name, &t.Kind, &agency, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.AgencyID = agency.Int64
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// CreateTenant stores t and sets its ID and CreatedAt.
func (db *DB) CreateTenant(ctx context.Context, t *hookline.Tenant) error {
	if !t.Kind.Valid() {
		return hookline.Invalid("kind", "must be %q or %q, not %q", hookline.KindAgency, hookline.KindCompany, t.Kind)
	}
	if err := hookline.ValidateTenantName(t.Name); err != nil {
		return err
	}
	if t.Kind == hookline.KindAgency && t.AgencyID != 0 {
		return hookline.Invalid("agency_id", "an agency cannot belong to another agency")
	}
	return db.inTx(ctx, func(c conn) error {
		if t.AgencyID != 0 {
			var kind hookline.TenantKind
			err := c.queryRow(ctx, "SELECT kind FROM tenants WHERE id = ?", []any{t.AgencyID}, &kind)
			if err == nil && kind != hookline.KindAgency {
				err = hookline.NotFound("agency", t.AgencyID)
			}
			if err != nil {
				return withMessage(err, "agency_id", "agency %d not found", t.AgencyID)
			}
		}
		created := db.timestamp()
		err := c.queryRow(ctx, "INSERT INTO tenants (name, kind, agency_id, created_at) VALUES (?, ?, ?, ?) RETURNING id",
			[]any{t.Name, t.Kind, nullID(t.AgencyID), created}, &t.ID)
		if isCode(err, hookline.CodeConflict) {
			return withMessage(err, "name", "%s", nameTaken(t.Kind, t.AgencyID, t.Name))
		}
		if err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		t.CreatedAt = created
		return nil
	})
}

func nameTaken(kind hookline.TenantKind, agencyID int64, name string) string {
	switch {
	case kind == hookline.KindAgency:
		return fmt.Sprintf("an agency named %q already exists", name)
	case agencyID != 0:
		return fmt.Sprintf("agency %d already has a company named %q", agencyID, name)
	}
	return fmt.Sprintf("a standalone company named %q already exists", name)
}

// FindTenant returns tenant id when it lies within scope.
func (db *DB) FindTenant(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Tenant, error) {
	return findTenant(ctx, db.conn(), scope, id)
}

func findTenant(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.Tenant, error) {
	cond, args := tenantScope(scope)
	row := c.row(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE id = ? AND "+cond,
		append([]any{id}, args...)...)
	t, err := scanTenant(row.Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "tenant %d not found", id)
		}
		return nil, fmt.Errorf("find tenant %d: %w", id, err)
	}
	return t, nil
}

// FindTenants lists the tenants in the filter's scope, ordered by ID.
func (db *DB) FindTenants(ctx context.Context, f hookline.TenantFilter) ([]*hookline.Tenant, error) {
	cond, args := tenantScope(f.Scope)
	if f.Kind != "" {
		cond += " AND kind = ?"
		args = append(args, f.Kind)
	}
	if f.AgencyID != 0 {
		cond += " AND agency_id = ?"
		args = append(args, f.AgencyID)
	}
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, db.conn(), "tenants", "SELECT "+tenantColumns+" FROM tenants WHERE "+cond, args, scanTenant)
}

// RenameTenant changes the name of tenant id when it lies within scope.
func (db *DB) RenameTenant(ctx context.Context, scope hookline.Scope, id int64, name string) (*hookline.Tenant, error) {
	if err := hookline.ValidateTenantName(name); err != nil {
		return nil, err
	}
	var t *hookline.Tenant
	err := db.inTx(ctx, func(c conn) error {
		var err error
		if t, err = findTenant(ctx, c, scope, id); err != nil {
			return err
		}
		_, err = c.exec(ctx, "UPDATE tenants SET name = ? WHERE id = ?", name, id)
		if isCode(err, hookline.CodeConflict) {
			return withMessage(err, "name", "%s", nameTaken(t.Kind, t.AgencyID, name))
		}
		if err != nil {
			return fmt.Errorf("rename tenant %d: %w", id, err)
		}
		t.Name = name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTenant removes tenant id, when it lies within scope, with its keys.
func (db *DB) DeleteTenant(ctx context.Context, scope hookline.Scope, id int64) error {
	return db.inTx(ctx, func(c conn) error {
		t, err := findTenant(ctx, c, scope, id)
		if err != nil {
			return err
		}
		if t.Kind == hookline.KindAgency {
			var n int
			if err := c.queryRow(ctx, "SELECT COUNT(*) FROM tenants WHERE agency_id = ?", []any{id}, &n); err != nil {
				return fmt.Errorf("count companies of agency %d: %w", id, err)
			}
			if n > 0 {
				them := "them"
				if n == 1 {
					them = "it"
				}
				return hookline.Errorf(hookline.CodeConflict, "agency %d still has %s; delete %s first", id, plural(n, "company", "companies"), them)
			}
		}
		// The foreign keys would refuse the delete too, but could not say
		// what is left; counted in this transaction, the numbers are the
		// ones that blocked it.
		var webhooks, templates, bots int
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM webhooks WHERE company_id = ?", []any{id}, &webhooks); err != nil {
			return fmt.Errorf("count webhooks of tenant %d: %w", id, err)
		}
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM bots WHERE company_id = ?", []any{id}, &bots); err != nil {
			return fmt.Errorf("count bots of tenant %d: %w", id, err)
		}
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM webhook_templates WHERE owner_id = ?", []any{id}, &templates); err != nil {
			return fmt.Errorf("count webhook templates of tenant %d: %w", id, err)
		}
		if webhooks > 0 || templates > 0 || bots > 0 {
			them := "them"
			if webhooks+templates+bots == 1 {
				them = "it"
			}
			return hookline.Errorf(hookline.CodeConflict, "tenant %d still owns %s; delete %s first", id, ownedList(webhooks, templates, bots), them)
		}
		if _, err := c.exec(ctx, "DELETE FROM tenants WHERE id = ?", id); err != nil {
			if isCode(err, hookline.CodeConflict) {
				return withMessage(err, "", "tenant %d still owns resources; delete them first", id)
			}
			return fmt.Errorf("delete tenant %d: %w", id, err)
		}
		return nil
	})
}

// ownedList names what a tenant still owns: "3 webhooks and 1 template".
func ownedList(webhooks, templates, bots int) string {
	var parts []string
	if bots > 0 {
		parts = append(parts, plural(bots, "bot", "bots"))
	}
	if webhooks > 0 {
		parts = append(parts, plural(webhooks, "webhook", "webhooks"))
	}
	if templates > 0 {
		parts = append(parts, plural(templates, "template", "templates"))
	}
	return strings.Join(parts, " and ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
