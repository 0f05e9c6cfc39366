package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A backlog of n deliveries over keys ordering keys: delivery i has the
// key "k<i mod keys>" and the sequence number i div keys in it, so every
// key's deliveries are numbered 0, 1, 2... in the order they are queued.

// backlogItem returns delivery i's ordering key and sequence number.
func backlogItem(i, keys int) (key string, seq int) {
	return "k" + strconv.Itoa(i%keys), i / keys
}

// backlogBody is the body the receiver gets for a key and sequence
// number, from hookline (rendered from deliveryBodyTemplate) and from the
// bare client alike.
func backlogBody(key string, seq int) []byte {
	b := make([]byte, 0, 32)
	b = append(b, `{"key": "`...)
	b = append(b, key...)
	b = append(b, `", "seq": `...)
	b = strconv.AppendInt(b, int64(seq), 10)
	return append(b, '}')
}

// deliveryBodyTemplate is the webhook body that renders to backlogBody
// from the context publishBody sends.
const deliveryBodyTemplate = `{"key": "{{certainly.key}}", "seq": {{certainly.seq}}}`

// deliveryPath is the receiver path the deliveries and the bare client
// post to.
const deliveryPath = "/deliveries"

// parseBacklogBody reads a backlog body's key and sequence number.
func parseBacklogBody(body []byte) (key string, seq int, ok bool) {
	var b struct {
		Key *string `json:"key"`
		Seq *int    `json:"seq"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Key == nil || b.Seq == nil || *b.Key == "" || *b.Seq < 0 {
		return "", 0, false
	}
	return *b.Key, *b.Seq, true
}

// publishBody is the body of POST /api/v1/webhooks/{id}/deliveries that
// queues delivery (key, seq).
func publishBody(key string, seq int) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"context": {"certainly": {"key": "`...)
	b = append(b, key...)
	b = append(b, `", "seq": `...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `}}, "ordering_key": "`...)
	b = append(b, key...)
	return append(b, `"}`...)
}

// eachOfLane calls fn, in queue order, with the backlog items of lane out
// of lanes: those whose key's number is lane modulo lanes. Sending a
// lane's items one after another keeps every key's items in order, while
// lanes run side by side. It stops at the first error.
func eachOfLane(n, keys, lane, lanes int, fn func(i int) error) error {
	for seq := 0; seq*keys < n; seq++ {
		for k := lane; k < keys; k += lanes {
			i := seq*keys + k
			if i >= n {
				return nil
			}
			if err := fn(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkBacklog checks the sizes of a backlog and its senders.
func checkBacklog(n, keys, lanes int) error {
	switch {
	case n < 1:
		return fmt.Errorf("a backlog of %d deliveries: want at least 1", n)
	case keys < 1:
		return fmt.Errorf("%d ordering keys: want at least 1", keys)
	case lanes < 1:
		return fmt.Errorf("%d concurrent senders: want at least 1", lanes)
	}
	return nil
}

// BareClientConfig is what the bare client posts, and where.
type BareClientConfig struct {
	// ReceiverURL is the receiver's base URL (loopback).
	ReceiverURL string
	Backlog     int
	Keys        int
	// Concurrency is the number of goroutines posting, each key's bodies
	// from one of them, one after another.
	Concurrency int
	// Timeout bounds each request.
	Timeout time.Duration
}

// BareClientResult is what the bare client did, written as JSON on its
// standard output for the bench.
type BareClientResult struct {
	// StartedAt and EndedAt are wall-clock Unix nanoseconds: the first
	// request's start and the last answer.
	StartedAt  int64  `json:"started_at"`
	EndedAt    int64  `json:"ended_at"`
	Posted     int    `json:"posted"`
	Failed     int    `json:"failed"`
	FirstError string `json:"first_error,omitempty"`
}

// RunBareClient posts the backlog's bodies to the receiver the way the
// queue sends them, with nothing else: a net/http client keeping a
// connection per goroutine (MaxIdleConnsPerHost = Concurrency), each key's
// bodies one after another. It is the baseline of the delivery scenarios.
// A failed post is counted, not retried.
func RunBareClient(ctx context.Context, cfg BareClientConfig) (BareClientResult, error) {
	if err := checkBacklog(cfg.Backlog, cfg.Keys, cfg.Concurrency); err != nil {
		return BareClientResult{}, err
	}
	if _, err := CheckLoopbackURL(cfg.ReceiverURL); err != nil {
		return BareClientResult{}, err
	}
	if cfg.Timeout <= 0 {
		return BareClientResult{}, fmt.Errorf("the request timeout must be positive, got %s", cfg.Timeout)
	}
	target, err := url.JoinPath(cfg.ReceiverURL, deliveryPath)
	if err != nil {
		return BareClientResult{}, err
	}
	hc := &http.Client{Transport: newLoopbackTransport(cfg.Concurrency), Timeout: cfg.Timeout}
	defer hc.CloseIdleConnections()
	var (
		mu     sync.Mutex
		res    BareClientResult
		wg     sync.WaitGroup
		posted atomic.Int64
	)
	fail := func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		res.Failed++
		if res.FirstError == "" {
			res.FirstError = msg
		}
	}
	res.StartedAt = time.Now().UnixNano()
	for lane := range cfg.Concurrency {
		wg.Go(func() {
			eachOfLane(cfg.Backlog, cfg.Keys, lane, cfg.Concurrency, func(i int) error {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				key, seq := backlogItem(i, cfg.Keys)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(backlogBody(key, seq)))
				if err != nil {
					return err
				}
				req.Header.Set("Content-Type", "application/json")
				r, err := hc.Do(req)
				posted.Add(1)
				if err != nil {
					fail(err.Error())
					return nil
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if r.StatusCode < 200 || r.StatusCode > 299 {
					fail(fmt.Sprintf("status %d", r.StatusCode))
				}
				return nil
			})
		})
	}
	wg.Wait()
	res.EndedAt = time.Now().UnixNano()
	res.Posted = int(posted.Load())
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("the bare client stopped after %d of %d posts: %w", res.Posted, cfg.Backlog, err)
	}
	return res, nil
}

// PublishConfig says what a publisher queues, and where.
type PublishConfig struct {
	// Bases are the base URLs (loopback) of the hookline processes to
	// send to, each connection to one of them in turn; WebhookID is the
	// webhook whose deliveries are queued, with Key, a key of its company.
	Bases     []string
	WebhookID int64
	Key       string
	Backlog   int
	Keys      int
	// Connections post at once, each with a keep-alive connection of its
	// own, each key's deliveries from one of them, one after another, so
	// that a key's deliveries are queued in their order.
	Connections int
	// Timeout bounds each request.
	Timeout time.Duration
}

// PublishResult is what a publisher did.
type PublishResult struct {
	// Started is the first request's start, Ended the last answer.
	Started, Ended time.Time
	Accepted       int
}

// Seconds is the time from the first request to the last answer.
func (r PublishResult) Seconds() float64 { return r.Ended.Sub(r.Started).Seconds() }

// Publisher queues a backlog through hookline's API:
// POST /api/v1/webhooks/{id}/deliveries, 202 for each.
type Publisher struct {
	cfg      PublishConfig
	urls     []string
	accepted atomic.Int64
}

// NewPublisher checks cfg and prepares a publisher.
func NewPublisher(cfg PublishConfig) (*Publisher, error) {
	if err := checkBacklog(cfg.Backlog, cfg.Keys, cfg.Connections); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("the request timeout must be positive, got %s", cfg.Timeout)
	}
	if len(cfg.Bases) == 0 {
		return nil, errors.New("no hookline to send to")
	}
	p := &Publisher{cfg: cfg}
	for _, base := range cfg.Bases {
		if _, err := CheckLoopbackURL(base); err != nil {
			return nil, err
		}
		target, err := url.JoinPath(base, fmt.Sprintf("/api/v1/webhooks/%d/deliveries", cfg.WebhookID))
		if err != nil {
			return nil, err
		}
		p.urls = append(p.urls, target)
	}
	return p, nil
}

// Accepted is the number of deliveries queued so far; it may be read
// while Run runs.
func (p *Publisher) Accepted() int { return int(p.accepted.Load()) }

// Run queues the backlog. The first failure (no answer, or a status other
// than 202) stops every connection: a backlog with a hole in it would
// make the receiver wait for ever, so the run fails instead.
func (p *Publisher) Run(ctx context.Context) (PublishResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	started := time.Now()
	for lane := range p.cfg.Connections {
		transport := newLoopbackTransport(1)
		wg.Go(func() {
			defer transport.CloseIdleConnections()
			client := &http.Client{Transport: transport, Timeout: p.cfg.Timeout}
			target := p.urls[lane%len(p.urls)]
			err := eachOfLane(p.cfg.Backlog, p.cfg.Keys, lane, p.cfg.Connections, func(i int) error {
				return p.post(ctx, client, target, i)
			})
			if err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	res := PublishResult{Started: started, Ended: time.Now(), Accepted: p.Accepted()}
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("queuing the backlog through the API stopped after %d of %d: %w", res.Accepted, p.cfg.Backlog, err)
	}
	return res, nil
}

func (p *Publisher) post(ctx context.Context, client *http.Client, target string, i int) error {
	key, seq := backlogItem(i, p.cfg.Keys)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(publishBody(key, seq)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.cfg.Key)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return context.Cause(ctx)
		}
		return err
	}
	defer discard(res)
	if res.StatusCode != http.StatusAccepted {
		answer, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		return fmt.Errorf("POST %s (key %s, seq %d): status %d, want 202: %s", target, key, seq, res.StatusCode, snippet(answer))
	}
	p.accepted.Add(1)
	return nil
}
