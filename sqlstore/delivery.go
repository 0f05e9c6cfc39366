package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// DeliveryStore is the durable delivery queue in a DB: deliveries, their
// attempts, idempotency keys and the queue's state of each target (disabled
// or not, its signing secret, sealed with its SecretSealer).
type DeliveryStore struct {
	db     *DB
	sealer hookline.SecretSealer
	// creates commits the deliveries queued at the same moment together:
	// a commit's WAL writes (SQLite) or flush (PostgreSQL) cost more than
	// the few rows a delivery adds, and were most of an enqueue. On SQLite
	// it is the DB's shared batcher, which also records outcomes.
	creates *writeBatcher[struct{}]
}

var _ hookline.DeliveryStore = (*DeliveryStore)(nil)

// NewDeliveryStore returns the delivery queue of db, sealing signing
// secrets with sealer.
func NewDeliveryStore(db *DB, sealer hookline.SecretSealer) *DeliveryStore {
	leaders := 1
	if db.dialect.name == DialectPostgres {
		// Deliveries queued together share no rows: batches on
		// PostgreSQL overlap their round trips.
		leaders = 4
	}
	return &DeliveryStore{db: db, sealer: sealer, creates: db.batcher(leaders)}
}

const deliveryColumns = "id, company_id, target_kind, target_id, message_id, ordering_key, status, request, attempt_count, round_attempts, next_attempt_at, lease_token, created_at, updated_at"

// storedTime is t as stored: UTC, microseconds.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func scanDelivery(scan func(...any) error) (*hookline.Delivery, error) {
	var d hookline.Delivery
	var key, token sql.NullString
	var next sql.NullTime
	var request string
	if err := scan(&d.ID, &d.CompanyID, &d.TargetKind, &d.TargetID, &d.MessageID, &key, &d.Status, &request,
		&d.AttemptCount, &d.RoundAttempts, &next, &token, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.OrderingKey, d.LeaseToken = key.String, token.String
	if d.TargetKind == hookline.TargetWebhook {
		d.WebhookID = d.TargetID
	}
	if next.Valid {
		t := next.Time.UTC()
		d.NextAttemptAt = &t
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(request), &d.Request); err != nil {
		return nil, fmt.Errorf("delivery %d: decode request: %w", d.ID, err)
	}
	return &d, nil
}

// CreateDelivery stores d, or with an idempotency key seen for d's target
// within the window, returns the delivery that used it.
func (s *DeliveryStore) CreateDelivery(ctx context.Context, d *hookline.Delivery, key *hookline.IdempotencyKey) (*hookline.Delivery, bool, error) {
	request, err := json.Marshal(d.Request)
	if err != nil {
		return nil, false, fmt.Errorf("create delivery: encode request: %w", err)
	}
	var existing *hookline.Delivery
	// The write may run twice (again alone if its batch failed): it sets
	// everything it returns each time.
	err = s.creates.write(ctx, struct{}{}, func(c conn) error {
		existing = nil
		now := s.db.timestamp()
		if key != nil {
			var hash []byte
			var id int64
			var at time.Time
			err := c.queryRow(ctx, "SELECT request_hash, delivery_id, created_at FROM delivery_idempotency WHERE target_kind = ? AND target_id = ? AND key = ?",
				[]any{d.TargetKind, d.TargetID, key.Key}, &hash, &id, &at)
			switch {
			case err == nil && now.Sub(at) < hookline.DeliveryIdempotencyWindow:
				if !bytes.Equal(hash, key.RequestHash) {
					return &hookline.Error{Code: hookline.CodeConflict, Field: "Idempotency-Key",
						Message: "this Idempotency-Key was used in the last 24 hours with another request body; use a new key for a new delivery"}
				}
				existing, err = s.findDelivery(ctx, c, hookline.AdminScope(), id)
				return err
			case err == nil:
				if _, err := c.exec(ctx, "DELETE FROM delivery_idempotency WHERE target_kind = ? AND target_id = ? AND key = ?", d.TargetKind, d.TargetID, key.Key); err != nil {
					return fmt.Errorf("create delivery: forget an old idempotency key: %w", err)
				}
			case !isCode(err, hookline.CodeNotFound):
				return fmt.Errorf("create delivery: look up the idempotency key: %w", err)
			}
		}
		if err := insertDelivery(ctx, c, d, request, now); err != nil {
			return err
		}
		if key != nil {
			_, err := c.exec(ctx, "INSERT INTO delivery_idempotency (target_kind, target_id, key, request_hash, delivery_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				d.TargetKind, d.TargetID, key.Key, key.RequestHash, d.ID, now)
			if isCode(err, hookline.CodeConflict) {
				return withMessage(err, "Idempotency-Key", "a request with this Idempotency-Key is being queued; send it again to get its delivery")
			}
			if err != nil {
				return fmt.Errorf("create delivery: store the idempotency key: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, true, nil
	}
	return d, false, nil
}

// insertDelivery stores d, pending, with its request encoded, in the
// transaction of c, and sets its id, status and times. The queue's own
// enqueue and the stores that write a delivery beside their own rows (an
// outbox: the MESSAGE event of a provider message) share it.
func insertDelivery(ctx context.Context, c conn, d *hookline.Delivery, request []byte, now time.Time) error {
	next := storedTime(*d.NextAttemptAt)
	err := c.queryRow(ctx, "INSERT INTO deliveries (company_id, target_kind, target_id, message_id, ordering_key, status, request, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		[]any{d.CompanyID, d.TargetKind, d.TargetID, d.MessageID, nullString(d.OrderingKey), hookline.DeliveryPending, string(request), next, now, now}, &d.ID)
	if err != nil {
		return fmt.Errorf("create delivery: %w", err)
	}
	d.Status, d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = hookline.DeliveryPending, &next, now, now
	if d.TargetKind == hookline.TargetWebhook {
		d.WebhookID = d.TargetID
	}
	return nil
}

// FindDelivery returns delivery id, with its attempts, when its company
// lies within scope.
func (s *DeliveryStore) FindDelivery(ctx context.Context, scope hookline.Scope, id int64) (*hookline.Delivery, error) {
	c := s.db.conn()
	d, err := s.findDelivery(ctx, c, scope, id)
	if err != nil {
		return nil, err
	}
	attempts, err := queryAll(ctx, c, "delivery attempts",
		"SELECT n, at, status, duration_ms, error_kind, error, response FROM delivery_attempts WHERE delivery_id = ? ORDER BY n", []any{id},
		func(scan func(...any) error) (*hookline.DeliveryAttempt, error) {
			var a hookline.DeliveryAttempt
			if err := scan(&a.N, &a.At, &a.Status, &a.DurationMS, &a.ErrorKind, &a.Error, &a.Response); err != nil {
				return nil, err
			}
			a.At = a.At.UTC()
			return &a, nil
		})
	if err != nil {
		return nil, err
	}
	d.Attempts = make([]hookline.DeliveryAttempt, len(attempts))
	for i, a := range attempts {
		d.Attempts[i] = *a
	}
	return d, nil
}

func (s *DeliveryStore) findDelivery(ctx context.Context, c conn, scope hookline.Scope, id int64) (*hookline.Delivery, error) {
	cond, args := companyScope(scope, "company_id")
	d, err := scanDelivery(c.row(ctx, "SELECT "+deliveryColumns+" FROM deliveries WHERE id = ? AND "+cond, append([]any{id}, args...)...).Scan)
	if err != nil {
		err = c.d.translate(err)
		if isCode(err, hookline.CodeNotFound) {
			return nil, withMessage(err, "", "delivery %d not found", id)
		}
		return nil, fmt.Errorf("find delivery %d: %w", id, err)
	}
	if s.db.leases != nil {
		s.db.leases.show(s.db.timestamp(), d)
	}
	return d, nil
}

// deliveryFilter is the WHERE condition of f, without paging.
func (s *DeliveryStore) deliveryFilter(f hookline.DeliveryFilter) (string, []any) {
	cond, args := companyScope(f.Scope, "company_id")
	if f.TargetID != 0 {
		cond += " AND target_kind = ? AND target_id = ?"
		args = append(args, f.TargetKind, f.TargetID)
	}
	switch {
	case s.db.leases != nil && (f.Status == hookline.DeliverySending || f.Status == hookline.DeliveryPending):
		// The book's leases are pending rows shown as sending.
		cond += " AND status = 'pending'"
		in, ids := idList("id", f.Status == hookline.DeliveryPending, s.db.leases.held(s.db.timestamp()))
		cond += in
		args = append(args, ids...)
	case f.Status != "":
		cond += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.OrderingKey != nil {
		if *f.OrderingKey == "" {
			cond += " AND ordering_key IS NULL"
		} else {
			cond += " AND ordering_key = ?"
			args = append(args, *f.OrderingKey)
		}
	}
	return cond, args
}

// FindDeliveries lists the deliveries the filter selects, newest first.
func (s *DeliveryStore) FindDeliveries(ctx context.Context, f hookline.DeliveryFilter) ([]*hookline.Delivery, error) {
	cond, args := s.deliveryFilter(f)
	if f.Before != 0 {
		cond += " AND id < ?"
		args = append(args, f.Before)
	}
	cond += " ORDER BY id DESC"
	if f.Limit > 0 {
		cond += " LIMIT ?"
		args = append(args, f.Limit)
	}
	ds, err := queryAll(ctx, s.db.conn(), "deliveries", "SELECT "+deliveryColumns+" FROM deliveries WHERE "+cond, args, scanDelivery)
	if err == nil && s.db.leases != nil {
		s.db.leases.show(s.db.timestamp(), ds...)
	}
	return ds, err
}

// RetryDeliveries makes failed and canceled deliveries pending again, due
// now, with the retry schedule started over.
func (s *DeliveryStore) RetryDeliveries(ctx context.Context, f hookline.DeliveryFilter, id int64) (int, error) {
	var n int
	err := s.db.inTx(ctx, func(c conn) error {
		cond, args := s.deliveryFilter(f)
		if id != 0 {
			d, err := s.findDelivery(ctx, c, f.Scope, id)
			if err != nil {
				return err
			}
			if d.Status != hookline.DeliveryFailed && d.Status != hookline.DeliveryCanceled {
				return hookline.Errorf(hookline.CodeConflict, "delivery %d is %s: only failed or canceled deliveries can be retried", id, d.Status)
			}
			cond += " AND id = ?"
			args = append(args, id)
		}
		now := s.db.timestamp()
		res, err := c.exec(ctx, "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, round_attempts = 0, lease_token = NULL, updated_at = ? WHERE status IN ('failed', 'canceled') AND "+cond,
			append([]any{now, now}, args...)...)
		if err != nil {
			return fmt.Errorf("retry deliveries: %w", err)
		}
		affected, err := res.RowsAffected()
		n = int(affected)
		return err
	})
	return n, err
}

// leaseQuery leases due deliveries (see hookline.DeliveryStore): the
// dialect adds its row locking after the candidate query (lockDue). Each
// subquery's status terms match a partial index's condition word for word
// (deliveries_key, deliveries_due), so that the planner reads live rows
// only, never a target's history. The targets at their limit are found
// once per lease, among the leased deliveries (deliveries_due after now),
// not counted again for every candidate: counted per candidate, PostgreSQL
// read a target's whole backlog for each of them. That search has an upper
// bound (leaseHorizon) only for SQLite's planner: it takes a two-sided
// range for a narrow one, and without it preferred to scan deliveries_key,
// which is every live row, on every lease.
const leaseQuery = `WITH busy AS (
	SELECT s.target_kind, s.target_id, COUNT(*) AS n FROM deliveries s
	WHERE s.status IN ('pending', 'sending') AND s.next_attempt_at > ? AND s.next_attempt_at < ? AND s.status = 'sending'
	GROUP BY s.target_kind, s.target_id)
UPDATE deliveries SET status = 'sending', lease_token = ?, next_attempt_at = ?, updated_at = ?
WHERE id IN (
	SELECT c.id FROM (
		SELECT d.id, d.next_attempt_at, d.target_kind, d.target_id,
			ROW_NUMBER() OVER (PARTITION BY d.target_kind, d.target_id ORDER BY d.next_attempt_at, d.id) AS n
		FROM (
			SELECT d.id, d.next_attempt_at, d.target_kind, d.target_id FROM deliveries d
			WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= ? AND d.company_id <> ?` + leaseKeyOrder + `
			AND (? = 0 OR (d.target_kind, d.target_id) NOT IN (SELECT target_kind, target_id FROM busy WHERE n >= ?))
			ORDER BY d.next_attempt_at, d.id
			LIMIT ?%s) d) c
	LEFT JOIN busy b ON b.target_kind = c.target_kind AND b.target_id = c.target_id
	WHERE ? = 0 OR c.n <= ? - COALESCE(b.n, 0)
	ORDER BY c.next_attempt_at, c.id
	LIMIT ?)
RETURNING ` + deliveryColumns

// leaseTargetQuery is leaseQuery for one target (from
// deliveries_target_due), when some targets are at their limit: see
// leaseByTargetRows.
const leaseTargetQuery = `UPDATE deliveries SET status = 'sending', lease_token = ?, next_attempt_at = ?, updated_at = ?
WHERE id IN (
	SELECT d.id FROM deliveries d
	WHERE d.target_kind = ? AND d.target_id = ? AND d.status IN ('pending', 'sending') AND d.target_id > 0 AND d.next_attempt_at <= ? AND d.company_id <> ?` + leaseKeyOrder + `
	ORDER BY d.next_attempt_at, d.id
	LIMIT ?%s)
RETURNING ` + deliveryColumns

// sendingTargetsQuery counts the deliveries sending per target.
const sendingTargetsQuery = `SELECT target_kind, target_id, COUNT(*) FROM deliveries
WHERE status IN ('pending', 'sending') AND next_attempt_at > ? AND next_attempt_at < ? AND status = 'sending'
GROUP BY target_kind, target_id`

// leaseKeyOrder keeps a lease to the first live delivery of each key.
const leaseKeyOrder = `
	AND (d.ordering_key IS NULL OR (NOT EXISTS (
		SELECT 1 FROM deliveries p
		WHERE p.target_kind = d.target_kind AND p.target_id = d.target_id AND p.ordering_key = d.ordering_key
		AND p.status IN ('pending', 'sending') AND p.status = 'sending' AND p.id <> d.id)
	AND NOT EXISTS (
		SELECT 1 FROM deliveries p
		WHERE p.target_kind = d.target_kind AND p.target_id = d.target_id AND p.ordering_key = d.ordering_key
		AND p.status IN ('pending', 'sending') AND p.status = 'pending' AND p.id < d.id)))`

// otherCompanyDueQuery tells whether a company other than the one given
// has a pending delivery due (see LeaseDeliveries).
const otherCompanyDueQuery = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND company_id > 0 AND company_id < ? AND next_attempt_at <= ?)
	OR EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND company_id > 0 AND company_id > ? AND next_attempt_at <= ?)`

// leaseHorizon is later than any lease ends.
var leaseHorizon = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// LeaseDeliveries leases up to req.Limit due deliveries in one statement.
func (s *DeliveryStore) LeaseDeliveries(ctx context.Context, req hookline.LeaseRequest) ([]*hookline.Delivery, error) {
	if req.Limit <= 0 {
		return nil, nil
	}
	if req.ExcludeCompany != 0 {
		// The worker asks whether another company waits while one holds
		// half of it, once per poll when one company has the whole
		// queue: that answer comes from deliveries_company_due, without
		// the lease reading the holder's whole backlog to find nothing.
		var others bool
		now := s.db.timestamp()
		if err := s.db.conn().queryRow(ctx, otherCompanyDueQuery, []any{req.ExcludeCompany, now, req.ExcludeCompany, now}, &others); err != nil {
			return nil, fmt.Errorf("lease deliveries: look for other companies' deliveries: %w", err)
		}
		if !others {
			return nil, nil
		}
	}
	if s.db.leases != nil {
		return s.leaseFromBook(ctx, req)
	}
	now := s.db.timestamp()
	until := storedTime(now.Add(req.Duration))
	var sending map[bookTarget]int
	if req.PerTarget > 0 {
		var err error
		if sending, err = s.sendingTargets(ctx, now); err != nil {
			return nil, err
		}
	}
	var ds []*hookline.Delivery
	err := s.db.inTx(ctx, func(c conn) error {
		if s.db.dialect.leasePrelude != "" {
			if _, err := c.q.ExecContext(ctx, s.db.dialect.leasePrelude); err != nil {
				return fmt.Errorf("lease deliveries: %w", err)
			}
		}
		for _, n := range sending {
			// A busy target that the lease could take past its limit:
			// leaseQuery only leaves out the full ones, and would read
			// a full one's whole backlog to do so, or take more of a
			// nearly full one than it may have, which the worker then
			// puts back. A target with few sending is left to
			// leaseQuery, which serves many targets in one statement.
			if n >= (req.PerTarget+1)/2 && n+req.Limit > req.PerTarget {
				var err error
				ds, err = s.leaseByTargetRows(ctx, c, req, now, until, sending)
				return err
			}
		}
		q := fmt.Sprintf(leaseQuery, s.db.dialect.lockDue)
		// The candidates are read a few times over the lease's size, and
		// each target's share of them cut to its room: the first in due
		// order may all be one target's.
		args := []any{now, leaseHorizon, req.Token, until, now, now, req.ExcludeCompany, req.PerTarget, req.PerTarget, 4 * req.Limit,
			req.PerTarget, req.PerTarget, req.Limit}
		var err error
		ds, err = queryAll(ctx, c, "due deliveries", q, args, scanDelivery)
		return err
	})
	return ds, err
}

// sendingTargets counts the deliveries sending per target.
func (s *DeliveryStore) sendingTargets(ctx context.Context, now time.Time) (map[bookTarget]int, error) {
	rows, err := s.db.conn().query(ctx, sendingTargetsQuery, now, leaseHorizon)
	if err != nil {
		return nil, fmt.Errorf("lease deliveries: count the deliveries sending: %w", err)
	}
	defer rows.Close()
	out := map[bookTarget]int{}
	for rows.Next() {
		var t bookTarget
		var n int
		if err := rows.Scan(&t.kind, &t.id, &n); err != nil {
			return nil, fmt.Errorf("lease deliveries: %w", s.db.dialect.translate(err))
		}
		out[t] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lease deliveries: %w", s.db.dialect.translate(err))
	}
	return out, nil
}

// leaseByTargetRows leases in rows, target by target (in liveTargets'
// random order), when some targets are at their limit: leaseQuery would
// read, in due order, the whole backlog of such a target only to skip it,
// on every lease.
func (s *DeliveryStore) leaseByTargetRows(ctx context.Context, c conn, req hookline.LeaseRequest, now, until time.Time, sending map[bookTarget]int) ([]*hookline.Delivery, error) {
	targets, err := liveTargets(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("lease deliveries: %w", err)
	}
	q := fmt.Sprintf(leaseTargetQuery, s.db.dialect.lockDue)
	var out []*hookline.Delivery
	for _, t := range targets {
		room := min(req.Limit-len(out), req.PerTarget-sending[t])
		if room <= 0 {
			continue
		}
		ds, err := queryAll(ctx, c, "due deliveries", q, []any{req.Token, until, now, t.kind, t.id, now, req.ExcludeCompany, room}, scanDelivery)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
		if len(out) == req.Limit {
			break
		}
	}
	return out, nil
}

// ReleaseDeliveries puts leased deliveries back, due now.
func (s *DeliveryStore) ReleaseDeliveries(ctx context.Context, token string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if s.db.leases != nil {
		s.db.leases.release(token, ids)
		return nil
	}
	now := s.db.timestamp()
	return s.db.inTx(ctx, func(c conn) error {
		for _, id := range ids {
			if _, err := c.exec(ctx, "UPDATE deliveries SET status = 'pending', lease_token = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ? AND lease_token = ? AND status = 'sending'",
				now, now, id, token); err != nil {
				return fmt.Errorf("release delivery %d: %w", id, err)
			}
		}
		return nil
	})
}

// CompleteDeliveries records a batch of attempts and outcomes in one
// transaction.
func (s *DeliveryStore) CompleteDeliveries(ctx context.Context, outcomes []hookline.DeliveryOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	if s.db.leases != nil {
		return s.completeFromBook(ctx, outcomes)
	}
	return s.db.inTx(ctx, func(c conn) error {
		now := s.db.timestamp()
		for _, o := range outcomes {
			var next sql.NullTime
			if !o.Status.Final() {
				next = sql.NullTime{Time: storedTime(o.NextAttemptAt), Valid: true}
			}
			counted := 0
			if o.Attempt != nil {
				counted = 1
			}
			// One statement counts the attempt and records the outcome
			// when the lease still holds. It locks the delivery's row
			// until commit: two workers recording an attempt of one
			// delivery at once (one whose lease ran out while it was
			// still sending) take turns, and the second numbers its
			// attempt after the first instead of colliding on
			// (delivery_id, n).
			var n int
			err := c.queryRow(ctx, "UPDATE deliveries SET attempt_count = attempt_count + ?, status = ?, next_attempt_at = ?, round_attempts = round_attempts + ?, lease_token = NULL, updated_at = ? WHERE id = ? AND lease_token = ? AND status = 'sending' RETURNING attempt_count",
				[]any{counted, o.Status, next, counted, now, o.DeliveryID, o.LeaseToken}, &n)
			if isCode(err, hookline.CodeNotFound) && o.Attempt != nil {
				// The lease was taken over: the attempt still counts and
				// is kept, but the new holder owns the outcome.
				err = c.queryRow(ctx, "UPDATE deliveries SET attempt_count = attempt_count + 1 WHERE id = ? RETURNING attempt_count", []any{o.DeliveryID}, &n)
			}
			switch {
			case isCode(err, hookline.CodeNotFound):
				continue
			case err != nil:
				return fmt.Errorf("complete delivery %d: %w", o.DeliveryID, err)
			}
			if o.Attempt != nil {
				if err := insertAttempts(ctx, c, []attemptRow{{o.DeliveryID, n, o.Attempt}}); err != nil {
					return err
				}
			}
			if o.DisableTarget {
				if err := s.disableTarget(ctx, c, o.DeliveryID, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// attemptRow is attempt n of a delivery, as insertAttempts stores it.
type attemptRow struct {
	deliveryID int64
	n          int
	attempt    *hookline.DeliveryAttempt
}

// insertAttempts records attempts, several to a statement.
func insertAttempts(ctx context.Context, c conn, rows []attemptRow) error {
	for len(rows) > 0 {
		n := listLength(len(rows))
		args := make([]any, 0, 8*n)
		for _, r := range rows[:n] {
			a := r.attempt
			args = append(args, r.deliveryID, r.n, storedTime(a.At), a.Status, a.DurationMS, string(a.ErrorKind), a.Error, a.Response)
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		if _, err := c.exec(ctx, "INSERT INTO delivery_attempts (delivery_id, n, at, status, duration_ms, error_kind, error, response) VALUES "+values, args...); err != nil {
			return fmt.Errorf("record attempt of delivery %d: %w", rows[0].deliveryID, err)
		}
		rows = rows[n:]
	}
	return nil
}

// listLength is how many of n items the next statement of a batch takes:
// the largest of a few fixed lengths that fits, so that a batch of any size
// is written with statements of at most four texts, each kept prepared.
func listLength(n int) int {
	for _, l := range []int{64, 16, 4} {
		if n >= l {
			return l
		}
	}
	return 1
}

// disableTarget disables the target of delivery id and fails what waits
// for it.
func (s *DeliveryStore) disableTarget(ctx context.Context, c conn, id int64, now time.Time) error {
	var kind hookline.TargetKind
	var target, company int64
	if err := c.queryRow(ctx, "SELECT target_kind, target_id, company_id FROM deliveries WHERE id = ?", []any{id}, &kind, &target, &company); err != nil {
		return fmt.Errorf("disable the target of delivery %d: %w", id, err)
	}
	if err := setDisabled(ctx, c, kind, target, company, &now); err != nil {
		return err
	}
	notHeld, held := s.notHeld()
	if _, err := c.exec(ctx, "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ? WHERE target_kind = ? AND target_id = ? AND status IN ('pending', 'sending') AND status = 'pending'"+notHeld,
		append([]any{now, kind, target}, held...)...); err != nil {
		return fmt.Errorf("fail the deliveries of disabled %s %d: %w", kind, target, err)
	}
	return nil
}

func setDisabled(ctx context.Context, c conn, kind hookline.TargetKind, id, companyID int64, at *time.Time) error {
	var v sql.NullTime
	if at != nil {
		v = sql.NullTime{Time: storedTime(*at), Valid: true}
	}
	if _, err := c.exec(ctx, `INSERT INTO delivery_targets (target_kind, target_id, company_id, disabled_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (target_kind, target_id) DO UPDATE SET disabled_at = excluded.disabled_at`, kind, id, companyID, v); err != nil {
		return fmt.Errorf("set %s %d disabled: %w", kind, id, err)
	}
	return nil
}

// notHeld is the condition that leaves out the deliveries leased in the
// book, which are pending in their rows but sending; empty without a book.
func (s *DeliveryStore) notHeld() (string, []any) {
	if s.db.leases == nil {
		return "", nil
	}
	return idList("id", true, s.db.leases.held(s.db.timestamp()))
}

// CancelTargetDeliveries cancels the live deliveries of a deleted target
// that no worker holds.
func (s *DeliveryStore) CancelTargetDeliveries(ctx context.Context, kind hookline.TargetKind, id int64) (int, error) {
	now := s.db.timestamp()
	notHeld, held := s.notHeld()
	res, err := s.db.conn().exec(ctx, "UPDATE deliveries SET status = 'canceled', next_attempt_at = NULL, updated_at = ? WHERE target_kind = ? AND target_id = ? AND status IN ('pending', 'sending') AND status = 'pending'"+notHeld,
		append([]any{now, kind, id}, held...)...)
	if err != nil {
		return 0, fmt.Errorf("cancel the deliveries of %s %d: %w", kind, id, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SetTargetDisabled disables or re-enables a target.
func (s *DeliveryStore) SetTargetDisabled(ctx context.Context, kind hookline.TargetKind, id, companyID int64, at *time.Time) error {
	return setDisabled(ctx, s.db.conn(), kind, id, companyID, at)
}

// TargetDisabledAt returns when a target was disabled, nil if it is not.
func (s *DeliveryStore) TargetDisabledAt(ctx context.Context, kind hookline.TargetKind, id int64) (*time.Time, error) {
	var at sql.NullTime
	err := s.db.conn().queryRow(ctx, "SELECT disabled_at FROM delivery_targets WHERE target_kind = ? AND target_id = ?", []any{kind, id}, &at)
	switch {
	case isCode(err, hookline.CodeNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("find the state of %s %d: %w", kind, id, err)
	case !at.Valid:
		return nil, nil
	}
	t := at.Time.UTC()
	return &t, nil
}

// FindTargetStates returns the states of the targets among ids that have
// one.
func (s *DeliveryStore) FindTargetStates(ctx context.Context, kind hookline.TargetKind, ids []int64) (map[int64]hookline.TargetState, error) {
	out := map[int64]hookline.TargetState{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{kind}
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = "?"
		args = append(args, id)
	}
	rows, err := s.db.conn().query(ctx, "SELECT target_id, disabled_at, sealed_secret <> '' FROM delivery_targets WHERE target_kind = ? AND target_id IN ("+strings.Join(marks, ", ")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("find target states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at sql.NullTime
		var st hookline.TargetState
		if err := rows.Scan(&id, &at, &st.HasSigningSecret); err != nil {
			return nil, fmt.Errorf("find target states: %w", s.db.dialect.translate(err))
		}
		if at.Valid {
			t := at.Time.UTC()
			st.DisabledAt = &t
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find target states: %w", s.db.dialect.translate(err))
	}
	return out, nil
}

// RotateSigningSecret stores secret sealed; the current one, if any, stays
// beside it until previousUntil.
func (s *DeliveryStore) RotateSigningSecret(ctx context.Context, kind hookline.TargetKind, id, companyID int64, secret string, previousUntil time.Time) error {
	if s.sealer == nil {
		return errors.New("rotate signing secret: no secret sealer configured")
	}
	sealed, err := s.sealer.Seal(secret)
	if err != nil {
		return fmt.Errorf("rotate signing secret: seal: %w", err)
	}
	return s.db.inTx(ctx, func(c conn) error {
		var current string
		err := c.queryRow(ctx, "SELECT sealed_secret FROM delivery_targets WHERE target_kind = ? AND target_id = ?", []any{kind, id}, &current)
		if err != nil && !isCode(err, hookline.CodeNotFound) {
			return fmt.Errorf("rotate the signing secret of %s %d: %w", kind, id, err)
		}
		var until sql.NullTime
		if current != "" {
			until = sql.NullTime{Time: storedTime(previousUntil), Valid: true}
		}
		if _, err := c.exec(ctx, `INSERT INTO delivery_targets (target_kind, target_id, company_id, sealed_secret, sealed_previous, previous_until) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (target_kind, target_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, sealed_previous = excluded.sealed_previous, previous_until = excluded.previous_until`,
			kind, id, companyID, sealed, current, until); err != nil {
			return fmt.Errorf("rotate the signing secret of %s %d: %w", kind, id, err)
		}
		return nil
	})
}

// FindSigningSecret returns a target's signing secrets, opened; nil when it
// has none.
func (s *DeliveryStore) FindSigningSecret(ctx context.Context, kind hookline.TargetKind, id int64) (*hookline.SigningSecret, error) {
	var sealed, previous string
	var until sql.NullTime
	err := s.db.conn().queryRow(ctx, "SELECT sealed_secret, sealed_previous, previous_until FROM delivery_targets WHERE target_kind = ? AND target_id = ?",
		[]any{kind, id}, &sealed, &previous, &until)
	switch {
	case isCode(err, hookline.CodeNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("find the signing secret of %s %d: %w", kind, id, err)
	case sealed == "":
		return nil, nil
	case s.sealer == nil:
		return nil, errors.New("find signing secret: no secret sealer configured")
	}
	out := &hookline.SigningSecret{}
	if out.Secret, err = s.sealer.Open(sealed); err != nil {
		return nil, fmt.Errorf("open the signing secret of %s %d: %w", kind, id, err)
	}
	if previous != "" && until.Valid {
		if out.Previous, err = s.sealer.Open(previous); err != nil {
			return nil, fmt.Errorf("open the previous signing secret of %s %d: %w", kind, id, err)
		}
		out.PreviousUntil = until.Time.UTC()
	}
	return out, nil
}
