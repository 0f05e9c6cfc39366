package delivery

import (
	"context"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/webhook"
)

// Target is what a send needs of its target, read at send time so that a
// change made before a delivery is leased (new auth, a new token) applies
// to it.
type Target struct {
	// Authorize applies the target's current auth to the request; nil
	// when it has none.
	Authorize func(*egress.Request) error
	// Timeout bounds one attempt; 0 is egress's default.
	Timeout time.Duration
	// Secrets are masked out of the responses and errors an attempt keeps.
	Secrets []string
	// Unsigned: no Standard Webhooks headers (a provider's API, not a
	// customer's endpoint).
	Unsigned bool
	// Permanent, if not nil, is asked about a non-2xx answer: true fails
	// the delivery at once, with reason as the attempt's error (a
	// provider's refusal that no retry can change).
	Permanent func(status int, body []byte) (permanent bool, reason string)
}

// TargetResolver reads the targets of one kind.
type TargetResolver interface {
	// ResolveTarget reads the target's current definition. CodeNotFound
	// means it was deleted: its waiting deliveries are canceled.
	ResolveTarget(ctx context.Context, kind hookline.TargetKind, companyID, id int64) (*Target, error)
}

// webhookTargets resolves stored webhooks.
type webhookTargets struct {
	store hookline.WebhookStore
}

func (r webhookTargets) ResolveTarget(ctx context.Context, _ hookline.TargetKind, companyID, id int64) (*Target, error) {
	scope := hookline.Scope{TenantID: companyID, Kind: hookline.KindCompany}
	wh, err := r.store.FindWebhook(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	def := wh.WebhookDefinition
	return &Target{
		Authorize: func(req *egress.Request) error { return webhook.Authorize(req, &def) },
		Timeout:   wh.Timeout(),
		Secrets:   wh.Secrets(),
	}, nil
}
