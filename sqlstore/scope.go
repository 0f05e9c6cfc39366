package sqlstore

import "github.com/hookline/hookline"

// tenantScope returns a WHERE condition (and its arguments) that keeps the
// rows of the tenants table within scope.
func tenantScope(scope hookline.Scope) (string, []any) {
	switch {
	case scope.All:
		return "1 = 1", nil
	case scope.Kind == hookline.KindAgency:
		return "(id = ? OR agency_id = ?)", []any{scope.TenantID, scope.TenantID}
	case scope.Kind == hookline.KindCompany:
		return "id = ?", []any{scope.TenantID}
	}
	return "1 = 0", nil
}

// companyScope returns a WHERE condition (and its arguments) that keeps the
// rows of a company-scoped table within scope; column names the table's
// company id column. Every query on a company-scoped resource applies it, so
// rows outside the caller's scope are never read, changed or counted.
//
//	cond, args := companyScope(scope, "company_id")
//	rows, err := c.query(ctx, "SELECT ... FROM webhooks WHERE "+cond+" ORDER BY id", args...)
func companyScope(scope hookline.Scope, column string) (string, []any) {
	switch {
	case scope.All:
		return "1 = 1", nil
	case scope.Kind == hookline.KindAgency:
		return column + " IN (SELECT id FROM tenants WHERE agency_id = ?)", []any{scope.TenantID}
	case scope.Kind == hookline.KindCompany:
		return column + " = ?", []any{scope.TenantID}
	}
	return "1 = 0", nil
}

// ordered ends a listing's query on cond: rows with ids after after, by id,
// at most limit of them (0: all).
func ordered(cond string, args []any, after int64, limit int) (string, []any) {
	if after != 0 {
		cond += " AND id > ?"
		args = append(args, after)
	}
	cond += " ORDER BY id"
	if limit > 0 {
		cond += " LIMIT ?"
		args = append(args, limit)
	}
	return cond, args
}
