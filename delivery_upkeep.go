package hookline

import (
	"context"
	"time"
)

// QueueStats is the delivery queue at one moment, for metrics: how many
// deliveries wait and how late the most overdue one is.
type QueueStats struct {
	// Pending counts the deliveries waiting for an attempt, due or not.
	Pending int
	// Sending counts the deliveries leased by a worker.
	Sending int
	// OldestDue is the earliest next attempt of a pending delivery; zero
	// when none is pending. A time in the past is how long the queue is
	// late: a worker short of slots, or a key held up by its head.
	OldestDue time.Time
}

// DeliveryStatsStore reads the queue's size. It is a store interface of
// its own, beside DeliveryStore, so that metrics need nothing else.
type DeliveryStatsStore interface {
	// QueueStats counts the live deliveries. Its cost grows with the live
	// deliveries only, never with the history of final ones.
	QueueStats(ctx context.Context) (QueueStats, error)
}

// Default ages after which final deliveries are pruned: succeeded ones
// after a week, failed and canceled ones (which someone may still want to
// read or retry) after thirty days.
const (
	DefaultDeliveryRetention       = 7 * 24 * time.Hour
	DefaultDeliveryFailedRetention = 30 * 24 * time.Hour
)

// DeliveryRetentionStore forgets what the queue no longer needs. Each
// method deletes at most limit rows in one short transaction and returns
// how many it deleted, so that a caller prunes a backlog in small batches
// without holding long locks; fewer than limit means there is no more.
type DeliveryRetentionStore interface {
	// PruneDeliveries deletes deliveries whose status is status (a final
	// one) and that last changed before before, with their attempts and
	// idempotency keys. Live deliveries are never pruned.
	PruneDeliveries(ctx context.Context, status DeliveryStatus, before time.Time, limit int) (int, error)
	// PruneIdempotencyKeys deletes idempotency keys used before before;
	// their deliveries stay.
	PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneTargetStates deletes the queue's state (disabled, signing
	// secrets) of targets that no longer exist.
	PruneTargetStates(ctx context.Context, limit int) (int, error)
}
