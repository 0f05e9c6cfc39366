package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// TestUpkeepQueryPlans checks on SQLite that the queue's metrics and
// pruning read through their indexes: the live rows of deliveries_key
// (which covers the count) or deliveries_due,
// the final rows of deliveries_final, the keys by age. A query that lost
// its index would scan every delivery ever kept, on every scrape or every
// minute.
func TestUpkeepQueryPlans(t *testing.T) {
	db := openTest(t)
	now := time.Now()
	// EXPLAIN does not check that the connection's copy of the schema is
	// current, as a query does: a connection opened before the migrations
	// would explain a plan without their indexes. Reading the schema on
	// the connection first brings its copy up to date.
	c, err := db.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var tables int
	if err := c.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM sqlite_master").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"queue count", queueCountQuery, nil, []string{"USING COVERING INDEX deliveries_key"}},
		{"oldest due", oldestDueQuery, nil, []string{"USING INDEX deliveries_due"}},
		{"other company due", otherCompanyDueQuery, []any{5, now, 5, now}, []string{"INDEX deliveries_company_due (company_id>? AND company_id<?)", "INDEX deliveries_company_due (company_id>?)"}},
		{"prune deliveries", pruneDeliveriesQuery, []any{"succeeded", now, 500, "succeeded", now},
			[]string{"INDEX deliveries_final (status=? AND updated_at<?)", "INDEX delivery_idempotency_delivery (delivery_id=?)"}},
		{"lease", bookLeaseQuery, []any{now, 0, "[]"}, []string{"USING INDEX deliveries_due", "USING COVERING INDEX deliveries_key"}},
		{"one target's lease", targetDueQuery, []any{"webhook", 1, now, 0, "[]", 8}, []string{"USING INDEX deliveries_target_due (target_kind=? AND target_id=?", "USING COVERING INDEX deliveries_key"}},
		{"live targets", liveTargetsQuery, []any{"webhook", "webhook"}, []string{"USING COVERING INDEX deliveries_key (target_kind=? AND target_id>?)"}},
		{"prune keys", pruneKeysQuery, []any{now, 500, now}, []string{"INDEX delivery_idempotency_created (created_at<?)"}},
	} {
		all := explain(t, c, q.name, "EXPLAIN QUERY PLAN "+q.query, q.args, func(scan func(...any) error) (string, error) {
			var id, parent, unused int
			var detail string
			err := scan(&id, &parent, &unused, &detail)
			return detail, err
		})
		checkPlan(t, q.name, all, q.want, nil)
		if strings.Contains(all, "SCAN deliveries\n") || strings.HasSuffix(all, "SCAN deliveries") {
			t.Errorf("%s: scans the deliveries table:\n%s", q.name, all)
		}
	}
}

// explain runs an EXPLAIN statement on q and returns its plan, a line per
// row as line reads it.
func explain(t *testing.T, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, name, statement string, args []any, line func(scan func(...any) error) (string, error)) string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), statement, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		l, err := line(rows.Scan)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plan = append(plan, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return strings.Join(plan, "\n")
}

// checkPlan fails the test for each of want the plan lacks and each of
// lack it has.
func checkPlan(t *testing.T, name, plan string, want, lack []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(plan, w) {
			t.Errorf("%s: plan lacks %q:\n%s", name, w, plan)
		}
	}
	for _, w := range lack {
		if strings.Contains(plan, w) {
			t.Errorf("%s: plan has %q:\n%s", name, w, plan)
		}
	}
}
