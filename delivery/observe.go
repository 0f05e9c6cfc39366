package delivery

import "github.com/hookline/hookline"

// Observer is told of each outcome the worker records, for metrics. It is
// called from the worker's recorder goroutine, so it must be quick, and it
// must be safe for concurrent use with whatever else calls it.
type Observer interface {
	// DeliveryDone reports an outcome: the delivery's next status
	// (pending: it will be retried; succeeded, failed or canceled) and its
	// attempt, nil when no exchange took place (the target was deleted,
	// disabled or could not be read).
	DeliveryDone(status hookline.DeliveryStatus, attempt *hookline.DeliveryAttempt)
}

// observe hands a recorded result to the Config's Observer, if any. A
// delivery put back without an attempt (a send cut off at shutdown) is no
// outcome and is not reported.
func (w *Worker) observe(r result) {
	if w.cfg.Observer == nil || r.outcome == nil {
		return
	}
	w.cfg.Observer.DeliveryDone(r.outcome.Status, r.outcome.Attempt)
}
