package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Paths of the sink's controls. Every other path receives deliveries.
const (
	sinkResetPath  = "/_bench/reset"
	sinkStatusPath = "/_bench/status"
)

// maxSinkProblems bounds the problems a sink keeps the text of.
const maxSinkProblems = 10

// sink is the receiver of the delivery scenarios. It acknowledges every
// delivery with 204 and checks order per key: a body names its ordering
// key and its sequence number in that key (see backlogBody), and a key's
// numbers must arrive one after another, each once. A repeat of the latest
// number is a redelivery (at least once): it counts once and is reported
// as a duplicate. A number below the latest is out of order; one more than
// a step above it is a gap (a delivery skipped, or sent ahead of its
// predecessor). The bench resets it before each measurement and reads its
// status until it has every delivery.
type sink struct {
	mu     sync.Mutex
	status SinkStatus
	// next is each key's next expected sequence number.
	next map[string]int
	now  func() time.Time
}

// SinkStatus is what a sink has received since its last reset.
type SinkStatus struct {
	// Want is the number of distinct deliveries expected.
	Want int `json:"want"`
	// Received counts distinct deliveries, out-of-order ones included.
	Received   int `json:"received"`
	Duplicates int `json:"duplicates"`
	OutOfOrder int `json:"out_of_order"`
	Gaps       int `json:"gaps"`
	// Malformed counts requests whose body is not a backlog body; they
	// are answered 400.
	Malformed int `json:"malformed"`
	// Problems describes the first problems of any kind.
	Problems []string `json:"problems,omitempty"`
	// FirstAt is the wall-clock time of the first delivery, DoneAt of the
	// one that made Received reach Want (0: not yet), in Unix nanoseconds:
	// the bench compares them with its own clock, on the same machine.
	FirstAt int64 `json:"first_at"`
	DoneAt  int64 `json:"done_at"`
}

// Done reports whether every expected delivery arrived.
func (s SinkStatus) Done() bool { return s.Want > 0 && s.Received >= s.Want }

// Faults is the number of deliveries that broke the order per key.
func (s SinkStatus) Faults() int { return s.OutOfOrder + s.Gaps + s.Malformed }

func newSink() *sink { return &sink{next: map[string]int{}, now: time.Now} }

func (k *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case sinkResetPath:
		k.serveReset(w, r)
		return
	case sinkStatusPath:
		k.mu.Lock()
		st := k.status
		st.Problems = append([]string(nil), k.status.Problems...)
		k.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key, seq, ok := parseBacklogBody(body)
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if !ok {
		k.status.Malformed++
		k.problem("a body that is not {\"key\": ..., \"seq\": ...}: %q", snippet(body))
		http.Error(w, "want {\"key\": \"k1\", \"seq\": 0}", http.StatusBadRequest)
		return
	}
	next := k.next[key]
	switch {
	case seq == next-1:
		k.status.Duplicates++
		w.WriteHeader(http.StatusNoContent)
		return
	case seq < next-1:
		k.status.OutOfOrder++
		k.problem("key %s: %d after %d", key, seq, next-1)
	case seq > next:
		k.status.Gaps++
		k.problem("key %s: %d where %d was due", key, seq, next)
	}
	if seq >= next {
		k.next[key] = seq + 1
	}
	k.status.Received++
	if k.status.FirstAt == 0 {
		k.status.FirstAt = now.UnixNano()
	}
	if k.status.Received == k.status.Want {
		k.status.DoneAt = now.UnixNano()
	}
	w.WriteHeader(http.StatusNoContent)
}

// problem keeps the text of the first few problems; callers hold mu.
func (k *sink) problem(format string, args ...any) {
	if len(k.status.Problems) < maxSinkProblems {
		k.status.Problems = append(k.status.Problems, fmt.Sprintf(format, args...))
	}
}

// serveReset forgets everything received and expects ?want= deliveries.
func (k *sink) serveReset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	want, err := strconv.Atoi(r.URL.Query().Get("want"))
	if err != nil || want < 1 {
		http.Error(w, "want: a positive number", http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	k.status = SinkStatus{Want: want}
	k.next = map[string]int{}
	k.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// sinkClient controls a sink from the bench.
type sinkClient struct {
	base   string
	client *http.Client
}

func newSinkClient(base string) (*sinkClient, error) {
	if _, err := CheckLoopbackURL(base); err != nil {
		return nil, err
	}
	return &sinkClient{base: base, client: &http.Client{Transport: newLoopbackTransport(1), Timeout: 10 * time.Second}}, nil
}

// Reset makes the sink forget what it received and expect want deliveries.
func (c *sinkClient) Reset(ctx context.Context, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+sinkResetPath+"?want="+strconv.Itoa(want), nil)
	if err != nil {
		return err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("resetting the receiver: %w", err)
	}
	defer discard(res)
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("resetting the receiver: status %d", res.StatusCode)
	}
	return nil
}

// Status reads what the sink received.
func (c *sinkClient) Status(ctx context.Context) (SinkStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+sinkStatusPath, nil)
	if err != nil {
		return SinkStatus{}, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return SinkStatus{}, fmt.Errorf("reading the receiver's status: %w", err)
	}
	defer discard(res)
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return SinkStatus{}, fmt.Errorf("reading the receiver's status: %w", err)
	}
	var st SinkStatus
	if res.StatusCode != http.StatusOK {
		return SinkStatus{}, fmt.Errorf("reading the receiver's status: status %d: %s", res.StatusCode, snippet(raw))
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&st); err != nil {
		return SinkStatus{}, fmt.Errorf("reading the receiver's status: %w", err)
	}
	return st, nil
}
