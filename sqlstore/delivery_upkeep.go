package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

var (
	_ hookline.DeliveryStatsStore     = (*DeliveryStore)(nil)
	_ hookline.DeliveryRetentionStore = (*DeliveryStore)(nil)
)

// The queries of QueueStats repeat the condition of the deliveries_due
// partial index word for word, so that SQLite's planner (which matches a
// partial index's condition by its terms) reads live rows only, as
// PostgreSQL's does: their cost follows the queue, not its history. The
// oldest due time is the first pending row of that index in its order: a
// MIN() would lose the column's type on SQLite, whose driver would then
// return text.
const (
	queueCountQuery = "SELECT status, COUNT(*) FROM deliveries WHERE status IN ('pending', 'sending') GROUP BY status"
	oldestDueQuery  = "SELECT next_attempt_at FROM deliveries WHERE status IN ('pending', 'sending') AND status = 'pending' ORDER BY next_attempt_at LIMIT 1"
)

// The pruning statements find their batch through the partial index of
// final deliveries (deliveries_final, whose condition the candidate query
// repeats) and the index of idempotency keys by age. Each outer statement
// repeats the candidate query's condition: on PostgreSQL a row changed by
// another transaction while the delete waited for its lock (a delivery
// retried by hand, a key used again) is rechecked against its new version,
// and kept.
const (
	pruneDeliveriesQuery = `DELETE FROM deliveries WHERE id IN (
		SELECT id FROM deliveries WHERE status IN ('succeeded', 'failed', 'canceled') AND status = ? AND updated_at < ?
		ORDER BY updated_at LIMIT ?)
	AND status = ? AND updated_at < ?`
	pruneKeysQuery = `DELETE FROM delivery_idempotency WHERE (target_kind, target_id, key) IN (
		SELECT target_kind, target_id, key FROM delivery_idempotency WHERE created_at < ? ORDER BY created_at LIMIT ?)
	AND created_at < ?`
)

// QueueStats counts the live deliveries and finds the earliest due time of
// a pending one.
func (s *DeliveryStore) QueueStats(ctx context.Context) (hookline.QueueStats, error) {
	var st hookline.QueueStats
	c := s.db.conn()
	rows, err := c.query(ctx, queueCountQuery)
	if err != nil {
		return st, fmt.Errorf("queue stats: count live deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status hookline.DeliveryStatus
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return st, fmt.Errorf("queue stats: count live deliveries: %w", c.d.translate(err))
		}
		switch status {
		case hookline.DeliveryPending:
			st.Pending = n
		case hookline.DeliverySending:
			st.Sending = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("queue stats: count live deliveries: %w", c.d.translate(err))
	}
	notHeld, held := s.notHeld()
	if n := len(held); n > 0 {
		// The book's leases are pending rows, sending.
		st.Pending, st.Sending = max(0, st.Pending-n), st.Sending+n
	}
	if st.Pending == 0 {
		return st, nil
	}
	var due sql.NullTime
	query := oldestDueQuery
	if notHeld != "" {
		query = strings.Replace(query, " ORDER BY", notHeld+" ORDER BY", 1)
	}
	err = c.queryRow(ctx, query, held, &due)
	switch {
	case isCode(err, hookline.CodeNotFound):
		// The last pending delivery was leased between the two queries.
		return st, nil
	case err != nil:
		return st, fmt.Errorf("queue stats: oldest pending delivery: %w", err)
	}
	if due.Valid {
		st.OldestDue = due.Time.UTC()
	}
	return st, nil
}

// PruneDeliveries deletes up to limit deliveries of a final status that
// last changed before before. Their attempts and idempotency keys go with
// them (ON DELETE CASCADE).
func (s *DeliveryStore) PruneDeliveries(ctx context.Context, status hookline.DeliveryStatus, before time.Time, limit int) (int, error) {
	if !status.Final() {
		return 0, fmt.Errorf("prune deliveries: status %q is not final; only succeeded, failed and canceled deliveries are pruned", status)
	}
	if limit <= 0 {
		return 0, nil
	}
	before = storedTime(before)
	res, err := s.db.conn().exec(ctx, pruneDeliveriesQuery, status, before, limit, status, before)
	if err != nil {
		return 0, fmt.Errorf("prune %s deliveries: %w", status, err)
	}
	return rowsChanged(res, "prune deliveries")
}

// PruneIdempotencyKeys deletes up to limit idempotency keys used before
// before.
func (s *DeliveryStore) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	before = storedTime(before)
	res, err := s.db.conn().exec(ctx, pruneKeysQuery, before, limit, before)
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return rowsChanged(res, "prune idempotency keys")
}

// targetTables names the table of each kind of target, for finding the
// states of targets that were deleted. Ids are never reused (AUTOINCREMENT
// on SQLite, identity columns on PostgreSQL), so a missing id is a
// deleted target for good.
var targetTables = []struct {
	kind  hookline.TargetKind
	table string
}{
	{hookline.TargetWebhook, "webhooks"},
	{hookline.TargetIntegration, "integrations"},
	{hookline.TargetConnection, "connections"},
}

// PruneTargetStates deletes up to limit rows of delivery_targets whose
// target no longer exists: a deleted webhook's disabled state and signing
// secrets. The outer statement checks again that the target is missing.
func (s *DeliveryStore) PruneTargetStates(ctx context.Context, limit int) (int, error) {
	total := 0
	for _, tt := range targetTables {
		if total >= limit {
			break
		}
		missing := "NOT EXISTS (SELECT 1 FROM " + tt.table + " x WHERE x.id = delivery_targets.target_id)"
		res, err := s.db.conn().exec(ctx, `DELETE FROM delivery_targets WHERE target_kind = ? AND target_id IN (
			SELECT target_id FROM delivery_targets WHERE target_kind = ? AND `+missing+` LIMIT ?)
		AND `+missing, tt.kind, tt.kind, limit-total)
		if err != nil {
			return total, fmt.Errorf("prune the states of deleted %ss: %w", tt.kind, err)
		}
		n, err := rowsChanged(res, "prune target states")
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// rowsChanged returns the rows a statement changed.
func rowsChanged(res sql.Result, what string) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	return int(n), nil
}
