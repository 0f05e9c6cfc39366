package hookline

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// DeliveryStatus is where a delivery stands. Pending and sending are live;
// succeeded, failed and canceled are final until someone retries a failed
// or canceled one by hand.
type DeliveryStatus string

const (
	// DeliveryPending waits for its next attempt (or for the delivery
	// before it on its ordering key).
	DeliveryPending DeliveryStatus = "pending"
	// DeliverySending is leased by a worker, which is sending it.
	DeliverySending DeliveryStatus = "sending"
	// DeliverySucceeded got a 2xx answer.
	DeliverySucceeded DeliveryStatus = "succeeded"
	// DeliveryFailed was given up: a final answer (4xx, 410), the last
	// attempt of the schedule, or a disabled target.
	DeliveryFailed DeliveryStatus = "failed"
	// DeliveryCanceled will not be sent: its target was deleted.
	DeliveryCanceled DeliveryStatus = "canceled"
)

// DeliveryStatuses lists every status, in the order of a delivery's life.
var DeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliverySending, DeliverySucceeded, DeliveryFailed, DeliveryCanceled}

// Final reports whether s ends a delivery's life (until a retry by hand).
func (s DeliveryStatus) Final() bool {
	return s == DeliverySucceeded || s == DeliveryFailed || s == DeliveryCanceled
}

// Valid reports whether s is a known status.
func (s DeliveryStatus) Valid() bool {
	for _, v := range DeliveryStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// TargetKind names the kind of resource that owns a delivery's URL. The
// queue reads the target's current definition (auth, timeout, signing
// secret) at send time.
type TargetKind string

// The kinds of target. A channel's target is its POST_URL, an
// integration's its URL, and a connection's its provider's API (Twilio,
// WhatsApp), which gets no Standard Webhooks headers.
const (
	TargetWebhook     TargetKind = "webhook"
	TargetChannel     TargetKind = "channel"
	TargetIntegration TargetKind = "integration"
	TargetConnection  TargetKind = "connection"
)

// Delivery is one outbound message to one target, sent asynchronously, at
// least once, in order per ordering key. Its request (URL, headers, body)
// is rendered and frozen when it is queued.
type Delivery struct {
	ID        int64  `json:"id" doc:"the delivery's id"`
	MessageID string `json:"message_id" doc:"the webhook-id header value, the same on every attempt; receivers deduplicate by it"`
	CompanyID int64  `json:"company_id" doc:"the company the delivery belongs to"`
	// TargetKind and TargetID name the resource that owns the URL.
	TargetKind TargetKind `json:"target_kind" enum:"webhook,channel,integration,connection" doc:"the kind of resource that owns the URL: webhook, channel (a webhook channel's POST_URL), integration, or connection (a provider's API)"`
	TargetID   int64      `json:"target_id" doc:"the id of that resource"`
	// WebhookID repeats TargetID for a webhook's deliveries, as the API
	// first named it.
	WebhookID   int64          `json:"webhook_id,omitempty" doc:"the webhook it is sent for; only on a webhook's deliveries"`
	OrderingKey string         `json:"ordering_key" doc:"deliveries of one webhook with the same non-empty key go out strictly one after another; empty: no ordering"`
	Status      DeliveryStatus `json:"status" enum:"pending,sending,succeeded,failed,canceled" doc:"pending, sending, succeeded, failed or canceled"`
	// AttemptCount counts the attempts made so far.
	AttemptCount int `json:"attempt_count" doc:"attempts made so far"`
	// NextAttemptAt is when the next attempt is due; nil once final.
	NextAttemptAt *time.Time `json:"next_attempt_at" nullable:"true" doc:"when the next attempt is due (pending), or when the running attempt's lease ends (sending); null once final"`
	CreatedAt     time.Time  `json:"created_at" doc:"when it was queued"`
	UpdatedAt     time.Time  `json:"updated_at" doc:"when its status last changed"`
	// Attempts is filled by FindDelivery only.
	Attempts []DeliveryAttempt `json:"attempts,omitempty" doc:"every attempt, oldest first; only on GET /api/v1/deliveries/{id}"`

	// Request is the frozen request; never shown.
	Request DeliveryRequest `json:"-"`
	// RoundAttempts counts the attempts since the delivery was queued or
	// last retried by hand: the step of the retry schedule.
	RoundAttempts int `json:"-"`
	// LeaseToken identifies the lease a worker holds on a sending
	// delivery; completions carry it, so that a worker whose lease was
	// taken over cannot overwrite the new holder's outcome.
	LeaseToken string `json:"-"`
}

// DeliveryRequest is a delivery's request as rendered when it was queued.
// The target's auth is not in it: it is applied at send time from the
// target's current definition.
type DeliveryRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body,omitempty"`
}

// DeliveryAttempt is one HTTP exchange of a delivery.
type DeliveryAttempt struct {
	N          int              `json:"attempt" doc:"1 for the first attempt"`
	At         time.Time        `json:"at" doc:"when the attempt started"`
	Status     int              `json:"status,omitempty" doc:"the HTTP status of the answer; absent when none came"`
	DurationMS float64          `json:"duration_ms" doc:"how long the exchange took"`
	ErrorKind  WebhookErrorKind `json:"error_kind,omitempty" doc:"why the attempt failed, as Run webhook words it (http_status for a non-2xx answer)"`
	Error      string           `json:"error,omitempty" doc:"for people"`
	// Response is the first MaxDeliveryResponseBytes of the answer's body.
	Response string `json:"response,omitempty" doc:"the first 4 KiB of the answer's body"`
}

// MaxDeliveryResponseBytes bounds the response body an attempt keeps.
const MaxDeliveryResponseBytes = 4 << 10

// DeliveryOutcome is what a worker records after an attempt: the attempt,
// and the delivery's next state. Status is pending (retry at NextAttemptAt)
// or final. Attempt is nil when no exchange took place (the target was
// deleted or disabled, or could not be read).
type DeliveryOutcome struct {
	DeliveryID    int64
	LeaseToken    string
	Attempt       *DeliveryAttempt
	Status        DeliveryStatus
	NextAttemptAt time.Time
	// DisableTarget: the target answered 410 Gone; it is disabled and
	// what waits for it fails.
	DisableTarget bool
}

// DeliveryFilter narrows a delivery listing or a bulk retry. Scope is
// always applied; the other fields narrow when set. Before and Limit page
// a listing, newest first: ids below Before (0: from the newest), at most
// Limit (0: no limit).
type DeliveryFilter struct {
	Scope       Scope
	TargetKind  TargetKind
	TargetID    int64
	Status      DeliveryStatus
	OrderingKey *string
	Before      int64
	Limit       int
}

// IdempotencyKey makes an enqueue repeatable: the same key for the same
// target within DeliveryIdempotencyWindow answers the first delivery.
type IdempotencyKey struct {
	Key string
	// RequestHash is the hash of the request that used the key, so that
	// the same key with another body is refused.
	RequestHash []byte
}

// DeliveryIdempotencyWindow is how long an Idempotency-Key is remembered.
const DeliveryIdempotencyWindow = 24 * time.Hour

// MaxIdempotencyKeyLen and MaxOrderingKeyLen bound the keys, in bytes.
const (
	MaxIdempotencyKeyLen = 255
	MaxOrderingKeyLen    = 255
)

// LeaseRequest asks the store for due deliveries.
type LeaseRequest struct {
	// Token marks the leased deliveries; completions and releases must
	// carry it.
	Token string
	// Limit is how many deliveries at most.
	Limit int
	// Duration is how long the lease holds; a delivery still sending
	// after it is taken over by the next lease.
	Duration time.Duration
	// PerTarget bounds the deliveries sending to one target at a time,
	// across every process sharing the store (0: no bound).
	PerTarget int
	// ExcludeCompany leaves out one company's deliveries (0: none), so
	// that a company holding half the workers lets the others in.
	ExcludeCompany int64
}

// TargetState is what the queue keeps of a target besides its deliveries.
type TargetState struct {
	DisabledAt       *time.Time
	HasSigningSecret bool
}

// SigningSecret is a target's Standard Webhooks signing secret and, for a
// day after a rotation, the one it replaced.
type SigningSecret struct {
	Secret        string
	Previous      string
	PreviousUntil time.Time
}

// DeliveryStore stores deliveries, their attempts, signing secrets and
// idempotency keys. Methods taking a Scope answer CodeNotFound outside it.
// The lease and completion methods are the worker's; they work in batches.
type DeliveryStore interface {
	// CreateDelivery stores d (pending, due at d.NextAttemptAt) and sets
	// its ID, CreatedAt and UpdatedAt. With key, it first looks the key up
	// for d's target: a use within DeliveryIdempotencyWindow with the same
	// request hash returns that delivery and true instead; with another
	// hash it is CodeConflict naming "Idempotency-Key".
	CreateDelivery(ctx context.Context, d *Delivery, key *IdempotencyKey) (*Delivery, bool, error)
	// FindDelivery returns a delivery with its attempts.
	FindDelivery(ctx context.Context, scope Scope, id int64) (*Delivery, error)
	// FindDeliveries lists deliveries newest first, without attempts.
	FindDeliveries(ctx context.Context, filter DeliveryFilter) ([]*Delivery, error)
	// RetryDeliveries makes the failed and canceled deliveries the filter
	// selects pending again, due now, and returns how many it changed.
	// With id not 0, only that one: CodeNotFound outside the scope,
	// CodeConflict when it is not failed or canceled.
	RetryDeliveries(ctx context.Context, filter DeliveryFilter, id int64) (int, error)

	// LeaseDeliveries marks up to Limit due deliveries sending under the
	// request's token and returns them with their frozen requests. A
	// delivery is due when it is pending and its next attempt is due, or
	// sending under a lease that has expired. A delivery with an ordering
	// key is leased only when no other delivery of its target and key is
	// sending, and none before it (by id) is pending.
	LeaseDeliveries(ctx context.Context, req LeaseRequest) ([]*Delivery, error)
	// ReleaseDeliveries puts leased deliveries back, pending and due as
	// they were, without an attempt.
	ReleaseDeliveries(ctx context.Context, token string, ids []int64) error
	// CompleteDeliveries records attempts and their outcomes in one
	// transaction. An outcome whose lease token no longer matches keeps
	// its attempt but leaves the delivery to its new holder.
	CompleteDeliveries(ctx context.Context, outcomes []DeliveryOutcome) error
	// CancelTargetDeliveries cancels the pending deliveries of a target
	// that no longer exists.
	CancelTargetDeliveries(ctx context.Context, kind TargetKind, id int64) (int, error)

	// SetTargetDisabled disables (at non-nil) or re-enables a target.
	SetTargetDisabled(ctx context.Context, kind TargetKind, id, companyID int64, at *time.Time) error
	// TargetDisabledAt returns when a target was disabled, nil if it is not.
	TargetDisabledAt(ctx context.Context, kind TargetKind, id int64) (*time.Time, error)
	// FindTargetStates returns the state of the given targets that have
	// one, by id, in one query.
	FindTargetStates(ctx context.Context, kind TargetKind, ids []int64) (map[int64]TargetState, error)

	// RotateSigningSecret stores secret as the target's signing secret; a
	// current one stays valid beside it until previousUntil.
	RotateSigningSecret(ctx context.Context, kind TargetKind, id, companyID int64, secret string, previousUntil time.Time) error
	// FindSigningSecret returns the target's secrets, nil when it has none.
	FindSigningSecret(ctx context.Context, kind TargetKind, id int64) (*SigningSecret, error)

	// DeliveryHours sums up the attempts the filter selects by hour (UTC),
	// oldest first; hours without attempts are left out.
	DeliveryHours(ctx context.Context, f DeliveryHoursFilter) ([]DeliveryHour, error)
}

// DeliveryHour is one hour of delivery attempts: how many were made, how
// many the endpoint answered with a 2xx, and how long their exchanges took.
type DeliveryHour struct {
	// Start is the hour's first instant, in UTC.
	Start     time.Time `json:"start" doc:"the hour's first instant (UTC)"`
	Attempts  int       `json:"attempts" doc:"attempts started in the hour"`
	Succeeded int       `json:"succeeded" doc:"of them, those answered with a 2xx"`
	// AvgMS and MaxMS are the mean and the longest exchange; 0 without
	// attempts.
	AvgMS float64 `json:"avg_ms" doc:"the mean duration of the hour's exchanges"`
	MaxMS float64 `json:"max_ms" doc:"the longest exchange of the hour"`
}

// SuccessRate is the share of the hour's attempts that succeeded, between 0
// and 1; 0 without attempts.
func (h DeliveryHour) SuccessRate() float64 {
	if h.Attempts == 0 {
		return 0
	}
	return float64(h.Succeeded) / float64(h.Attempts)
}

// DeliveryHoursFilter selects the attempts a DeliveryHours sums up: of
// deliveries in Scope (and of one target when TargetID is set), started in
// [Since, Until).
type DeliveryHoursFilter struct {
	Scope      Scope
	TargetKind TargetKind
	TargetID   int64
	Since      time.Time
	Until      time.Time
}

// DeliveryStatsInput asks for the hourly sums of the last Hours hours
// (DefaultStatsHours when 0, at most MaxStatsHours), of one webhook's
// deliveries when WebhookID is set.
type DeliveryStatsInput struct {
	WebhookID int64
	Hours     int
}

// Bounds of DeliveryStatsInput.Hours.
const (
	DefaultStatsHours = 24
	MaxStatsHours     = 7 * 24
)

// DeliveryInput is the body of POST /api/v1/webhooks/{id}/deliveries.
type DeliveryInput struct {
	Context     json.RawMessage `json:"context" required:"true" doc:"the template context the URL, headers and body are rendered against, frozen at once: certainly.*, fb.*, conversation.*, context.session.BotUserSession.lastMessage.customData"`
	OrderingKey string          `json:"ordering_key" doc:"deliveries of this webhook with the same key go out strictly in order (a chat or session id); up to 255 bytes; empty: no ordering"`
}

// DeliveryListFilter is what GET /api/v1/deliveries and POST
// /api/v1/deliveries/retry filter on; zero values do not narrow.
type DeliveryListFilter struct {
	WebhookID   int64
	Status      DeliveryStatus
	OrderingKey *string
}

// RetryResult is the answer of a bulk retry.
type RetryResult struct {
	Retried int `json:"retried" doc:"how many failed or canceled deliveries are pending again"`
}

// NewSigningSecret is a signing secret just created or rotated: the only
// time it is shown.
type NewSigningSecret struct {
	SigningSecret string `json:"signing_secret" doc:"whsec_ and the base64 key: verify webhook-signature with it (Standard Webhooks); shown only in this response"`
}

// DeliveryQueue is the queue as other services use it: they have checked
// their caller already and hand over a request rendered and frozen.
type DeliveryQueue interface {
	// Enqueue stores d (pending, due now unless d.NextAttemptAt is set),
	// sets its ID, MessageID and times, and wakes a worker. With key, a
	// repeat for the same target within DeliveryIdempotencyWindow returns
	// the first delivery and false, or CodeConflict for another request.
	Enqueue(ctx context.Context, d *Delivery, key *IdempotencyKey) (*Delivery, bool, error)
}

// DeliveryOutbox is the queue for a service whose store writes deliveries
// beside rows of its own, in their transaction (an outbox).
type DeliveryOutbox interface {
	DeliveryQueue
	// Prepare checks d and sets its MessageID and due time as Enqueue
	// does; Wake is called once the store's transaction commits.
	Prepare(d *Delivery) error
	// Wake tells the workers that deliveries were stored outside Enqueue.
	Wake()
}

// DeliveryService is the use cases of the delivery queue. Every method acts
// for a caller; deliveries and webhooks outside its scope answer
// CodeNotFound.
type DeliveryService interface {
	// EnqueueWebhook renders webhook id's request against the context,
	// freezes it and queues it. idempotencyKey (optional) makes a repeat
	// return the first delivery, with created false.
	EnqueueWebhook(ctx context.Context, c *Caller, id int64, in DeliveryInput, idempotencyKey string) (d *Delivery, created bool, err error)
	FindDelivery(ctx context.Context, c *Caller, id int64) (*Delivery, error)
	// FindDeliveries lists deliveries newest first.
	FindDeliveries(ctx context.Context, c *Caller, f DeliveryListFilter, page PageRequest) (Page[*Delivery], error)
	// RetryDelivery sends a failed or canceled delivery again, in its
	// key's order.
	RetryDelivery(ctx context.Context, c *Caller, id int64) (*Delivery, error)
	// RetryDeliveries retries every failed and canceled delivery the
	// filter selects.
	RetryDeliveries(ctx context.Context, c *Caller, f DeliveryListFilter) (*RetryResult, error)
	// RotateSigningSecret creates or rotates a webhook's signing secret.
	RotateSigningSecret(ctx context.Context, c *Caller, webhookID int64) (*NewSigningSecret, error)
	// EnableWebhook re-enables a webhook disabled by a 410 answer.
	EnableWebhook(ctx context.Context, c *Caller, webhookID int64) error
	// DeliveryHours sums up the attempts of the last hours, one entry per
	// hour, the current one last, hours without attempts included.
	DeliveryHours(ctx context.Context, c *Caller, in DeliveryStatsInput) ([]DeliveryHour, error)
}
