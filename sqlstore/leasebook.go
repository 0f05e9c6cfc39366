package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookline/hookline"
)

// leaseBook keeps the delivery leases of a database that one process
// serves (SQLite) in memory instead of in its rows. A lease written to the
// rows cost a write transaction per lease and rewrote each leased row and
// three of its indexes, which made the lease the largest cost of draining
// a backlog; in memory, a lease is a read. A crash loses nothing: the
// leased rows are still pending in the database and are sent again on
// restart, at once rather than after a lease expiry (at least once, with
// the same webhook-id). What the rows do not say, the store adds from the
// book: a held delivery is shown as sending until its lease ends.
type leaseBook struct {
	// path is the database file's; its queue lock file is path + ".queue".
	path string
	// claim is the queue lock file, held while this process sends.
	claim *os.File

	// leasing is held by each lease from start to end: a lease reads the
	// book before its query and takes rows after it, which is safe only
	// if no other lease could take and finish a delivery in between.
	leasing sync.Mutex
	mu      sync.Mutex
	byID    map[int64]*bookLease
	keys    map[bookKey]int
	targets map[bookTarget]int
	// recovered: the rows that an older version left 'sending' are
	// pending again.
	recovered bool
}

type bookTarget struct {
	kind hookline.TargetKind
	id   int64
}

type bookKey struct {
	target bookTarget
	key    string
}

type bookLease struct {
	token  string
	until  time.Time
	target bookTarget
	key    string // "" when the delivery has no ordering key
}

func newLeaseBook(path string) *leaseBook {
	return &leaseBook{path: path, byID: map[int64]*bookLease{}, keys: map[bookKey]int{}, targets: map[bookTarget]int{}}
}

// ClaimQueue makes this process the one that sends the database's
// deliveries, before a delivery worker starts. On SQLite the leases live
// in this process's memory, so a second process leasing from the same
// file would send what the first is sending, out of order: it is refused
// here, by an exclusive lock on a file beside the database that the
// system releases when the process ends, however it ends. Commands that
// only read or change definitions (migrate, bot import, channel approve)
// do not claim the queue and run beside the server. The first lease
// claims it too, if nothing did before. On PostgreSQL leases
// are rows, and any number of processes send.
func (db *DB) ClaimQueue() error {
	b := db.leases
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.claimLocked()
}

// claimLocked takes the queue lock unless it is held; callers hold mu.
func (b *leaseBook) claimLocked() error {
	if b.claim != nil {
		return nil
	}
	name := b.path + ".queue"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("claim the delivery queue: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("another hookline process is serving %s and sending its deliveries: a SQLite database is served by one process (use PostgreSQL for several)", b.path)
		}
		return fmt.Errorf("claim the delivery queue: lock %s: %w", name, err)
	}
	b.claim = f
	return nil
}

// unclaim lets go of the queue lock.
func (b *leaseBook) unclaim() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.claim != nil {
		b.claim.Close()
		b.claim = nil
	}
}

// expire drops the leases that ended before now: their deliveries may be
// leased again, as an expired lease in a row is taken over. Callers hold mu.
func (b *leaseBook) expire(now time.Time) {
	for id, l := range b.byID {
		if !l.until.After(now) {
			b.drop(id, l)
		}
	}
}

// drop forgets lease l of delivery id. Callers hold mu.
func (b *leaseBook) drop(id int64, l *bookLease) {
	delete(b.byID, id)
	if l.key != "" {
		k := bookKey{l.target, l.key}
		if b.keys[k]--; b.keys[k] <= 0 {
			delete(b.keys, k)
		}
	}
	if b.targets[l.target]--; b.targets[l.target] <= 0 {
		delete(b.targets, l.target)
	}
}

// add records a lease. Callers hold mu.
func (b *leaseBook) add(d *hookline.Delivery, token string, until time.Time) {
	l := &bookLease{token: token, until: until, target: bookTarget{d.TargetKind, d.TargetID}, key: d.OrderingKey}
	b.byID[d.ID] = l
	if l.key != "" {
		b.keys[bookKey{l.target, l.key}]++
	}
	b.targets[l.target]++
}

// holds reports whether delivery id is leased under token now.
func (b *leaseBook) holds(id int64, token string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.byID[id]
	return ok && l.token == token && l.until.After(now)
}

// release forgets the leases of ids held under token.
func (b *leaseBook) release(token string, ids []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		if l, ok := b.byID[id]; ok && l.token == token {
			b.drop(id, l)
		}
	}
}

// show marks the held deliveries among ds as sending, as a lease in their
// rows would.
func (b *leaseBook) show(now time.Time, ds ...*hookline.Delivery) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range ds {
		if l, ok := b.byID[d.ID]; ok && d.Status == hookline.DeliveryPending && l.until.After(now) {
			until := l.until
			d.Status, d.LeaseToken, d.NextAttemptAt = hookline.DeliverySending, l.token, &until
		}
	}
}

// held returns the ids leased now.
func (b *leaseBook) held(now time.Time) []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expire(now)
	ids := make([]int64, 0, len(b.byID))
	for id := range b.byID {
		ids = append(ids, id)
	}
	return ids
}

// idList is " AND col [NOT] IN (?, ...)" for ids, and its arguments; for
// no ids, an IN is false and a NOT IN adds nothing.
func idList(col string, not bool, ids []int64) (string, []any) {
	if len(ids) == 0 {
		if not {
			return "", nil
		}
		return " AND 1 = 0", nil
	}
	op := " IN ("
	if not {
		op = " NOT IN ("
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return " AND " + col + op + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// bookLeaseQuery lists the candidates of an in-memory lease in due order:
// pending deliveries with nothing older of their key pending, leaving out
// the held ones (a JSON array of ids), which are pending too and come
// first in that order: read and decoded again by every lease, they cost
// more than the deliveries it took. Those of a key or target the book
// holds are skipped as the rows are read.
const bookLeaseQuery = `SELECT ` + deliveryColumns + ` FROM deliveries d
WHERE d.status IN ('pending', 'sending') AND d.status = 'pending' AND d.next_attempt_at <= ? AND d.company_id <> ?
AND d.id NOT IN (SELECT value FROM json_each(?))
AND (d.ordering_key IS NULL OR NOT EXISTS (
	SELECT 1 FROM deliveries p
	WHERE p.target_kind = d.target_kind AND p.target_id = d.target_id AND p.ordering_key = d.ordering_key
	AND p.status IN ('pending', 'sending') AND p.status = 'pending' AND p.id < d.id))
ORDER BY d.next_attempt_at, d.id`

// leaseFromBook leases up to req.Limit due deliveries in the book.
func (s *DeliveryStore) leaseFromBook(ctx context.Context, req hookline.LeaseRequest) ([]*hookline.Delivery, error) {
	b := s.db.leases
	b.leasing.Lock()
	defer b.leasing.Unlock()
	b.mu.Lock()
	err := b.claimLocked()
	recovered := b.recovered
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !recovered {
		// Outside mu: the update takes the writer mutex, which a
		// completion holds while it asks the book (mu) about its leases.
		if _, err := s.db.conn().exec(ctx, "UPDATE deliveries SET status = 'pending', lease_token = NULL WHERE status IN ('pending', 'sending') AND status = 'sending'"); err != nil {
			return nil, fmt.Errorf("lease deliveries: put back the deliveries leased before: %w", err)
		}
	}
	// The book is locked while it is read and while each row read is
	// taken, not while the query runs: the outcomes recorded meanwhile
	// ask the book about their leases, and waited here for the whole
	// query, which made leasing and recording take turns (leases take
	// turns among themselves: see leasing). What the query
	// cannot know, the book checks row by row: a lease held, or a key or
	// target in use, since it was read. A delivery held when the book was
	// read stays excluded even if its outcome is recorded during the
	// query, so the one after it on its key is not leased early.
	b.mu.Lock()
	b.recovered = true
	now := s.db.timestamp()
	b.expire(now)
	until := storedTime(now.Add(req.Duration))
	held := make([]byte, 0, 16*len(b.byID)+2)
	held = append(held, '[')
	for id := range b.byID {
		if len(held) > 1 {
			held = append(held, ',')
		}
		held = strconv.AppendInt(held, id, 10)
	}
	held = append(held, ']')
	b.mu.Unlock()
	rows, err := s.db.conn().query(ctx, bookLeaseQuery, now, req.ExcludeCompany, string(held))
	if err != nil {
		return nil, fmt.Errorf("lease deliveries: %w", err)
	}
	defer rows.Close()
	var out []*hookline.Delivery
	// A full target ends the scan: what follows in due order may be that
	// target's backlog, which the scan would read to the end to skip it
	// all, on every lease. The rest is leased target by target instead.
	byTarget := false
	for len(out) < req.Limit && !byTarget && rows.Next() {
		d, err := scanDelivery(rows.Scan)
		if err != nil {
			err = fmt.Errorf("lease deliveries: %w", s.db.dialect.translate(err))
			b.undo(out)
			return nil, err
		}
		switch b.take(d, req, until) {
		case taken:
			d.Status, d.LeaseToken, d.NextAttemptAt = hookline.DeliverySending, req.Token, &until
			out = append(out, d)
		case targetFull:
			byTarget = true
		}
	}
	if err := rows.Err(); err != nil {
		b.undo(out)
		return nil, fmt.Errorf("lease deliveries: %w", s.db.dialect.translate(err))
	}
	rows.Close()
	if byTarget && len(out) < req.Limit {
		more, err := s.leaseByTarget(ctx, req, now, until, string(held), req.Limit-len(out))
		if err != nil {
			b.undo(out)
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// nextLiveKindQuery and liveTargetsQuery list the targets with live
// deliveries, kind by kind, one index seek in deliveries_key each however
// long their backlogs. (A seek on the pair (kind, id) at once was read by
// SQLite's planner as one on the kind alone, which scanned every live
// delivery of the kind.)
const nextLiveKindQuery = `SELECT MIN(target_kind) FROM deliveries WHERE status IN ('pending', 'sending') AND target_kind > ?`

const liveTargetsQuery = `WITH RECURSIVE t(id) AS (
	SELECT * FROM (SELECT target_id FROM deliveries
		WHERE status IN ('pending', 'sending') AND target_kind = ? ORDER BY target_id LIMIT 1) AS first
	UNION ALL
	SELECT (SELECT x.target_id FROM deliveries x WHERE x.status IN ('pending', 'sending') AND x.target_kind = ? AND x.target_id > t.id
		ORDER BY x.target_id LIMIT 1)
	FROM t WHERE t.id IS NOT NULL)
SELECT id FROM t WHERE id IS NOT NULL`

// liveTargets lists the targets with live deliveries in a random order:
// a lease that goes target by target, a query each, stops once it has
// enough, and no target may wait behind the others for good.
func liveTargets(ctx context.Context, c conn) ([]bookTarget, error) {
	var out []bookTarget
	kind := ""
	for {
		var next sql.NullString
		if err := c.queryRow(ctx, nextLiveKindQuery, []any{kind}, &next); err != nil {
			return nil, err
		}
		if !next.Valid {
			rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
			return out, nil
		}
		kind = next.String
		ids, err := queryAll(ctx, c, "targets with deliveries", liveTargetsQuery, []any{kind, kind}, func(scan func(...any) error) (*int64, error) {
			var id int64
			return &id, scan(&id)
		})
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, bookTarget{hookline.TargetKind(kind), *id})
		}
	}
}

// targetDueQuery lists one target's candidates in due order, from
// deliveries_target_due, with the conditions of bookLeaseQuery.
const targetDueQuery = `SELECT ` + deliveryColumns + ` FROM deliveries d
WHERE d.target_kind = ? AND d.target_id = ? AND d.status IN ('pending', 'sending') AND d.target_id > 0 AND d.status = 'pending' AND d.next_attempt_at <= ? AND d.company_id <> ?
AND d.id NOT IN (SELECT value FROM json_each(?))
AND (d.ordering_key IS NULL OR NOT EXISTS (
	SELECT 1 FROM deliveries p
	WHERE p.target_kind = d.target_kind AND p.target_id = d.target_id AND p.ordering_key = d.ordering_key
	AND p.status IN ('pending', 'sending') AND p.status = 'pending' AND p.id < d.id))
ORDER BY d.next_attempt_at, d.id LIMIT ?`

// leaseByTarget leases up to limit due deliveries of the targets below
// their limit, each target's first in due order, and the earliest of
// those first, without reading the backlog of a target that may take no
// more.
func (s *DeliveryStore) leaseByTarget(ctx context.Context, req hookline.LeaseRequest, now, until time.Time, held string, limit int) ([]*hookline.Delivery, error) {
	b := s.db.leases
	c := s.db.conn()
	targets, err := liveTargets(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("lease deliveries: %w", err)
	}
	var candidates []*hookline.Delivery
	for _, t := range targets {
		if len(candidates) >= limit {
			break
		}
		room := limit
		if req.PerTarget > 0 {
			b.mu.Lock()
			room = min(room, req.PerTarget-b.targets[t])
			b.mu.Unlock()
		}
		if room <= 0 {
			continue
		}
		ds, err := queryAll(ctx, c, "due deliveries", targetDueQuery, []any{t.kind, t.id, now, req.ExcludeCompany, held, room}, scanDelivery)
		if err != nil {
			return nil, fmt.Errorf("lease deliveries: %w", err)
		}
		candidates = append(candidates, ds...)
	}
	slices.SortFunc(candidates, func(x, y *hookline.Delivery) int {
		if c := x.NextAttemptAt.Compare(*y.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	var out []*hookline.Delivery
	for _, d := range candidates {
		if len(out) == limit {
			break
		}
		if b.take(d, req, until) == taken {
			d.Status, d.LeaseToken, d.NextAttemptAt = hookline.DeliverySending, req.Token, &until
			out = append(out, d)
		}
	}
	return out, nil
}

// taking is what take did with a delivery.
type taking int

const (
	taken taking = iota
	// skipped: held already, or its key is in use.
	skipped
	// targetFull: its target has as many leases as the request allows.
	targetFull
)

// take leases d under req's token unless it is held, or its key or target
// is in use as req counts it.
func (b *leaseBook) take(d *hookline.Delivery, req hookline.LeaseRequest, until time.Time) taking {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := bookTarget{d.TargetKind, d.TargetID}
	if _, held := b.byID[d.ID]; held {
		return skipped
	}
	if d.OrderingKey != "" && b.keys[bookKey{t, d.OrderingKey}] > 0 {
		return skipped
	}
	if req.PerTarget > 0 && b.targets[t] >= req.PerTarget {
		return targetFull
	}
	b.add(d, req.Token, until)
	return taken
}

// undo gives back the leases of a lease that failed half-way.
func (b *leaseBook) undo(ds []*hookline.Delivery) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range ds {
		if l, ok := b.byID[d.ID]; ok {
			b.drop(d.ID, l)
		}
	}
}

// completeFromBook records outcomes of deliveries leased in the book.
// Final outcomes of held leases, nearly all of them, are recorded a group
// at a time: one UPDATE per status over a list of ids, and one INSERT of
// many attempts, each statement written for a few fixed list lengths so
// that it stays prepared. One statement per outcome cost the driver's
// round of binding, stepping and resetting twice per delivery, the larger
// part of recording it. (Lists passed as JSON to json_each were measured
// slower: each member read parses the array again.)
// Outcomes whose lease is no longer held (it expired and was taken over)
// count their attempt but leave the delivery to its new holder, as with
// row leases.
func (s *DeliveryStore) completeFromBook(ctx context.Context, outcomes []hookline.DeliveryOutcome) error {
	b := s.db.leases
	now := s.db.timestamp()
	type group struct {
		status  hookline.DeliveryStatus
		counted int
	}
	groups := map[group][]int64{}
	byID := make(map[int64]*hookline.DeliveryOutcome, len(outcomes))
	var single []*hookline.DeliveryOutcome
	for i := range outcomes {
		o := &outcomes[i]
		counted := 0
		if o.Attempt != nil {
			counted = 1
		}
		if _, dup := byID[o.DeliveryID]; !dup && o.Status.Final() && b.holds(o.DeliveryID, o.LeaseToken, now) {
			byID[o.DeliveryID] = o
			g := group{o.Status, counted}
			groups[g] = append(groups[g], o.DeliveryID)
			continue
		}
		single = append(single, o)
	}
	// The outcomes commit with the enqueues and provider messages waiting
	// meanwhile (the write may run twice: again alone if its batch fails).
	err := s.creates.write(ctx, struct{}{}, func(c conn) error {
		var attempts []attemptRow
		for g, ids := range groups {
			for len(ids) > 0 {
				n := listLength(len(ids))
				list, args := idList("id", false, ids[:n])
				args = append([]any{g.counted, g.status, g.counted, now}, args...)
				rows, err := c.query(ctx, "UPDATE deliveries SET attempt_count = attempt_count + ?, status = ?, next_attempt_at = NULL, round_attempts = round_attempts + ?, lease_token = NULL, updated_at = ? WHERE status = 'pending'"+list+" RETURNING id, attempt_count", args...)
				if err != nil {
					return fmt.Errorf("complete deliveries: %w", err)
				}
				for rows.Next() {
					var id int64
					var count int
					if err := rows.Scan(&id, &count); err != nil {
						rows.Close()
						return fmt.Errorf("complete deliveries: %w", s.db.dialect.translate(err))
					}
					if o := byID[id]; o != nil && o.Attempt != nil {
						attempts = append(attempts, attemptRow{id, count, o.Attempt})
					}
				}
				if err := rows.Close(); err != nil {
					return fmt.Errorf("complete deliveries: %w", s.db.dialect.translate(err))
				}
				ids = ids[n:]
			}
		}
		for _, o := range single {
			counted := 0
			if o.Attempt != nil {
				counted = 1
			}
			var n int
			var err error
			if b.holds(o.DeliveryID, o.LeaseToken, now) {
				var next sql.NullTime
				if !o.Status.Final() {
					next = sql.NullTime{Time: storedTime(o.NextAttemptAt), Valid: true}
				}
				err = c.queryRow(ctx, "UPDATE deliveries SET attempt_count = attempt_count + ?, status = ?, next_attempt_at = ?, round_attempts = round_attempts + ?, lease_token = NULL, updated_at = ? WHERE id = ? AND status = 'pending' RETURNING attempt_count",
					[]any{counted, o.Status, next, counted, now, o.DeliveryID}, &n)
			} else if o.Attempt != nil {
				// The lease expired and was taken over: the attempt still
				// counts and is kept, but the new holder owns the outcome.
				err = c.queryRow(ctx, "UPDATE deliveries SET attempt_count = attempt_count + 1 WHERE id = ? RETURNING attempt_count", []any{o.DeliveryID}, &n)
			} else {
				continue
			}
			switch {
			case isCode(err, hookline.CodeNotFound):
				continue
			case err != nil:
				return fmt.Errorf("complete delivery %d: %w", o.DeliveryID, err)
			}
			if o.Attempt != nil {
				attempts = append(attempts, attemptRow{o.DeliveryID, n, o.Attempt})
			}
		}
		if err := insertAttempts(ctx, c, attempts); err != nil {
			return err
		}
		for i := range outcomes {
			if o := &outcomes[i]; o.DisableTarget {
				if err := s.disableTarget(ctx, c, o.DeliveryID, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The outcomes are stored: their leases end. Not before, or a lease
	// in between would find them pending and send them again.
	b.mu.Lock()
	for _, o := range outcomes {
		if l, ok := b.byID[o.DeliveryID]; ok && l.token == o.LeaseToken {
			b.drop(o.DeliveryID, l)
		}
	}
	b.mu.Unlock()
	return nil
}
