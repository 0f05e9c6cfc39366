package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hookline/hookline"
)

var _ hookline.SessionStore = (*DB)(nil)

// CreateSession stores s and sets its ID and CreatedAt.
func (db *DB) CreateSession(ctx context.Context, s *hookline.Session) error {
	if len(s.TokenHash) == 0 || len(s.KeyHash) == 0 || s.ExpiresAt.IsZero() {
		return fmt.Errorf("create session: token hash, key hash and expiry are required")
	}
	created := db.timestamp()
	err := db.conn().queryRow(ctx, "INSERT INTO sessions (token_hash, key_id, key_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		[]any{s.TokenHash, nullID(s.KeyID), s.KeyHash, created, storedTime(s.ExpiresAt)}, &s.ID)
	if s.KeyID != 0 && db.dialect.foreignKeyFailure(err) {
		// The only foreign key: the key was revoked meanwhile.
		return &hookline.Error{Code: hookline.CodeNotFound, Message: fmt.Sprintf("key %d not found", s.KeyID), Err: err}
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = created, storedTime(s.ExpiresAt)
	return nil
}

// FindSession returns the session with the token hash.
func (db *DB) FindSession(ctx context.Context, tokenHash []byte) (*hookline.Session, error) {
	var s hookline.Session
	var key sql.NullInt64
	err := db.conn().queryRow(ctx, "SELECT id, token_hash, key_id, key_hash, created_at, expires_at FROM sessions WHERE token_hash = ?",
		[]any{tokenHash}, &s.ID, &s.TokenHash, &key, &s.KeyHash, &s.CreatedAt, &s.ExpiresAt)
	if isCode(err, hookline.CodeNotFound) {
		return nil, withMessage(err, "", "session not found")
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	s.KeyID = key.Int64
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// DeleteSession deletes the session with the token hash, if any.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := db.conn().exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes the sessions that expired before before.
func (db *DB) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := db.conn().exec(ctx, "DELETE FROM sessions WHERE expires_at < ?", storedTime(before))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return int(n), nil
}
