package webhook

import "github.com/hookline/hookline"

// Observer is told of every run of a webhook (Run webhook, the CLI, a
// bot), for metrics. It is called at the end of each run, from the
// goroutine that ran it, so it must be quick and safe for concurrent use.
type Observer interface {
	// WebhookRan reports a run's outcome: "" when it succeeded, else the
	// kind of its error.
	WebhookRan(kind hookline.WebhookErrorKind)
}

// Observe makes e report every run to o. Call it once, before e runs
// anything: the executor reads it without a lock.
func (e *Executor) Observe(o Observer) { e.obs = o }

// observed reports res to the observer, if any.
func (e *Executor) observed(res *hookline.WebhookResult) {
	if e.obs == nil {
		return
	}
	var kind hookline.WebhookErrorKind
	if res.Error != nil {
		kind = res.Error.Kind
	}
	e.obs.WebhookRan(kind)
}
