package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookline/hookline"
)

var _ hookline.KeyStore = (*DB)(nil)

const keyColumns = "id, tenant_id, prefix, hash, created_at"

func scanKey(scan func(...any) error) (*hookline.APIKey, error) {
	var k hookline.APIKey
	var tenant sql.NullInt64
	if err := scan(&k.ID, &tenant, &k.Prefix, &k.Hash, &k.CreatedAt); err != nil {
		return nil, err
	}
	k.TenantID = tenant.Int64
	k.CreatedAt = k.CreatedAt.UTC()
	return &k, nil
}

// tenantCond matches a key's owner: a tenant, or NULL for admin keys.
func tenantCond(tenantID int64) (string, []any) {
	if tenantID == 0 {
		return "tenant_id IS NULL", nil
	}
	return "tenant_id = ?", []any{tenantID}
}

// CreateKey stores k and sets its ID and CreatedAt.
func (db *DB) CreateKey(ctx context.Context, k *hookline.APIKey) error {
	if len(k.Hash) == 0 || k.Prefix == "" {
		return fmt.Errorf("create key: hash and prefix are required")
	}
	created := db.timestamp()
	err := db.conn().queryRow(ctx, "INSERT INTO api_keys (tenant_id, prefix, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		[]any{nullID(k.TenantID), k.Prefix, k.Hash, created}, &k.ID)
	if k.TenantID != 0 && db.dialect.foreignKeyFailure(err) {
		// The only foreign key: the tenant was deleted meanwhile.
		return &hookline.Error{Code: hookline.CodeNotFound, Message: fmt.Sprintf("tenant %d not found", k.TenantID), Err: err}
	}
	if err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	k.CreatedAt = created
	return nil
}

// FindKeyByHash returns the key with the given hash.
func (db *DB) FindKeyByHash(ctx context.Context, hash []byte) (*hookline.APIKey, error) {
	c := db.conn()
	k, err := scanKey(c.row(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE hash = ?", hash).Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "key not found")
		}
		return nil, fmt.Errorf("find key: %w", err)
	}
	return k, nil
}

// FindKeys lists a tenant's keys (0: the admin keys), ordered by ID.
func (db *DB) FindKeys(ctx context.Context, f hookline.KeyFilter) ([]*hookline.APIKey, error) {
	cond, args := tenantCond(f.TenantID)
	cond, args = ordered(cond, args, f.After, f.Limit)
	return queryAll(ctx, db.conn(), "keys", "SELECT "+keyColumns+" FROM api_keys WHERE "+cond, args, scanKey)
}

// DeleteKey revokes key id of the tenant (0: admin keys).
func (db *DB) DeleteKey(ctx context.Context, tenantID, id int64) error {
	cond, args := tenantCond(tenantID)
	res, err := db.conn().exec(ctx, "DELETE FROM api_keys WHERE id = ? AND "+cond, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("delete key %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete key %d: %w", id, err)
	}
	if n == 0 {
		return hookline.NotFound("key", id)
	}
	return nil
}

// CountAdminKeys counts the stored admin keys.
func (db *DB) CountAdminKeys(ctx context.Context) (int, error) {
	var n int
	if err := db.conn().queryRow(ctx, "SELECT COUNT(*) FROM api_keys WHERE tenant_id IS NULL", nil, &n); err != nil {
		return 0, fmt.Errorf("count admin keys: %w", err)
	}
	return n, nil
}
