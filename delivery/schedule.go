package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultSchedule is the wait before each retry: the first attempt is
// immediate, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, each with
// ±20% jitter; after the eighth attempt a delivery is failed.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// MaxRetryAfter bounds how far a Retry-After answer can push the next
// attempt.
const MaxRetryAfter = 24 * time.Hour

// ParseSchedule reads a retry schedule: comma-separated durations such as
// "5s,5m,30m" (HOOKLINE_DELIVERY_SCHEDULE). Each is more than 0 and at most
// MaxRetryAfter; an empty schedule means no retries is not allowed.
func ParseSchedule(v string) ([]time.Duration, error) {
	var out []time.Duration
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("step %d %q: want a duration such as 5s, 5m or 2h", i+1, part)
		}
		if d <= 0 || d > MaxRetryAfter {
			return nil, fmt.Errorf("step %d %q: must be more than 0 and at most %s", i+1, part, MaxRetryAfter)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("want at least one duration")
	}
	return out, nil
}

// retryableStatus reports whether an answer other than 2xx is worth another
// attempt: 5xx and the 4xx that say "not now" (408, 409, 425, 429). 410 is
// handled before: it disables the target.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status < 400 || status >= 500
}
