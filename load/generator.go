package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Request is the one request a measurement sends over and over.
type Request struct {
	Method string
	// Path is joined to the target's base URL.
	Path   string
	Header http.Header
	Body   []byte
	// Expect, when set, must occur in every response body: a 2xx answer
	// without it (a webhook run whose call failed, say) is counted as
	// unexpected rather than as a success.
	Expect []byte
	// Next, when set, makes the header and body of each request instead
	// of Header and Body, for scenarios whose requests differ (a fresh
	// token, another user): n numbers the requests of one measurement
	// from 0, across its connections. It must be safe for concurrent use;
	// the header it returns is not modified.
	Next func(n uint64) (http.Header, []byte)
}

// make returns request n's header and body.
func (r *Request) make(n uint64) (http.Header, []byte) {
	if r.Next != nil {
		return r.Next(n)
	}
	return r.Header, r.Body
}

// Sample is what one measurement of one target observed.
type Sample struct {
	// Requests counts every request sent, failed ones included.
	Requests uint64
	// Errors are requests without an answer (connection or timeout).
	Errors uint64
	// Non2xx are answers with a status outside 200–299.
	Non2xx uint64
	// Unexpected are 2xx answers whose body lacked Request.Expect.
	Unexpected uint64
	// FirstError describes the first failure of any kind, if any.
	FirstError string
	// Elapsed runs from the first request's start to the last answer.
	Elapsed time.Duration
	// Latency holds the time of every request, failed ones included.
	Latency Histogram
	// Scheduled is the number of requests a paced measurement was to
	// send (0 for a closed-loop one).
	Scheduled uint64
}

// Failed is the number of requests that did not succeed.
func (s *Sample) Failed() uint64 { return s.Errors + s.Non2xx + s.Unexpected }

// Throughput is requests per second over Elapsed, failed ones included.
func (s *Sample) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Generator sends one Request to one target from a fixed number of
// connections, each a goroutine with its own keep-alive HTTP/1.1
// connection that sends its next request as soon as the answer is read.
type Generator struct {
	url        string
	request    Request
	transports []*http.Transport
	timeout    time.Duration
	// sent numbers the requests of a measurement, for Request.Next.
	sent atomic.Uint64
}

// NewGenerator prepares connections goroutines for request against base,
// which must be a loopback URL. timeout bounds each request.
func NewGenerator(base string, request Request, connections int, timeout time.Duration) (*Generator, error) {
	if _, err := CheckLoopbackURL(base); err != nil {
		return nil, err
	}
	if connections < 1 {
		return nil, fmt.Errorf("connections must be at least 1, got %d", connections)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("the request timeout must be positive, got %s", timeout)
	}
	target, err := url.JoinPath(base, request.Path)
	if err != nil {
		return nil, err
	}
	if request.Header == nil {
		request.Header = http.Header{}
	}
	g := &Generator{url: target, request: request, timeout: timeout}
	for range connections {
		g.transports = append(g.transports, newLoopbackTransport(1))
	}
	return g, nil
}

// Close closes the kept-alive connections.
func (g *Generator) Close() {
	for _, t := range g.transports {
		t.CloseIdleConnections()
	}
}

// Drive sends requests from every connection for d, then waits for the
// requests in flight to end. Those get at most the generator's timeout
// more (then they count as errors), so Drive returns within d plus that
// timeout.
func (g *Generator) Drive(ctx context.Context, d time.Duration) *Sample {
	start := time.Now()
	stopSending := start.Add(d)
	return g.run(ctx, start, stopSending.Add(g.timeout), func(s *Sample) (time.Time, bool) {
		now := time.Now()
		return now, now.Before(stopSending)
	})
}

// Pace sends requests at a fixed rate for d, open loop: request i is due
// at i/rate seconds after the start, whatever became of the earlier ones,
// and the next free connection sends it. Its latency runs from when it
// was due, not from when a connection was free to send it, so that a
// server that stalls is charged for the requests waiting behind it
// instead of slowing the sender down (coordinated omission). The schedule
// is bounded: rate×d requests, and any still unsent once d plus the
// generator's timeout has passed count as errors. Pace returns within d
// plus twice that timeout.
func (g *Generator) Pace(ctx context.Context, d time.Duration, rate float64) *Sample {
	start := time.Now()
	total := uint64(rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / max(rate, 1e-9))
	giveUp := start.Add(d + g.timeout)
	var next atomic.Uint64
	s := g.run(ctx, start, giveUp.Add(g.timeout), func(s *Sample) (time.Time, bool) {
		i := next.Add(1) - 1
		if i >= total {
			return time.Time{}, false
		}
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		if time.Now().After(giveUp) || ctx.Err() != nil {
			return time.Time{}, false
		}
		return due, true
	})
	if sent := s.Requests; sent < total {
		missed := total - sent
		s.Requests += missed
		s.Errors += missed
		if s.FirstError == "" {
			s.FirstError = fmt.Sprintf("%d requests of the schedule were not sent within %s of their time: every connection was busy", missed, g.timeout)
		}
	}
	s.Scheduled = total
	return s
}

// run runs every connection until slot says stop, then merges their
// samples. slot returns when the connection's next request is due (its
// latency counts from then) and whether to send it; the context ends at
// cutoff.
func (g *Generator) run(ctx context.Context, start, cutoff time.Time, slot func(*Sample) (time.Time, bool)) *Sample {
	ctx, cancel := context.WithDeadline(ctx, cutoff)
	defer cancel()
	g.sent.Store(0)
	samples := make([]*Sample, len(g.transports))
	var wg sync.WaitGroup
	for i, t := range g.transports {
		samples[i] = &Sample{}
		wg.Go(func() { g.loop(ctx, t, slot, samples[i]) })
	}
	wg.Wait()
	total := &Sample{Elapsed: time.Since(start)}
	for _, s := range samples {
		total.Requests += s.Requests
		total.Errors += s.Errors
		total.Non2xx += s.Non2xx
		total.Unexpected += s.Unexpected
		if total.FirstError == "" {
			total.FirstError = s.FirstError
		}
		total.Latency.Merge(&s.Latency)
	}
	return total
}

// Once sends the request once, from the first connection.
func (g *Generator) Once(ctx context.Context) *Sample {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	s := &Sample{}
	began := time.Now()
	g.loop(ctx, g.transports[0], func(s *Sample) (time.Time, bool) { return time.Now(), s.Requests < 1 }, s)
	s.Elapsed = time.Since(began)
	return s
}

// loop is one connection: it sends requests one after another as long as
// slot lets it, recording each into s.
func (g *Generator) loop(ctx context.Context, t *http.Transport, slot func(*Sample) (time.Time, bool), s *Sample) {
	body := bytes.NewReader(nil)
	buf := bytes.NewBuffer(make([]byte, 0, 16<<10))
	for ctx.Err() == nil {
		began, ok := slot(s)
		if !ok || ctx.Err() != nil {
			return
		}
		header, payload := g.request.make(g.sent.Add(1) - 1)
		body.Reset(payload)
		req, err := http.NewRequestWithContext(ctx, g.request.Method, g.url, body)
		if err != nil {
			s.fail(&s.Errors, err.Error())
			return
		}
		// RoundTrip must not modify a request, so every connection can
		// send the one header map.
		req.Header = header
		req.ContentLength = int64(len(payload))
		if len(payload) == 0 {
			req.Body = http.NoBody
		}
		res, err := t.RoundTrip(req)
		if err != nil {
			s.Requests++
			s.Latency.Record(time.Since(began))
			if errors.Is(err, context.Canceled) {
				return
			}
			s.fail(&s.Errors, err.Error())
			continue
		}
		buf.Reset()
		_, err = buf.ReadFrom(res.Body)
		res.Body.Close()
		s.Requests++
		s.Latency.Record(time.Since(began))
		switch {
		case err != nil:
			s.fail(&s.Errors, "reading the response: "+err.Error())
		case res.StatusCode < 200 || res.StatusCode > 299:
			s.fail(&s.Non2xx, fmt.Sprintf("status %d: %s", res.StatusCode, snippet(buf.Bytes())))
		case len(g.request.Expect) > 0 && !bytes.Contains(buf.Bytes(), g.request.Expect):
			s.fail(&s.Unexpected, fmt.Sprintf("the answer lacks %q: %s", g.request.Expect, snippet(buf.Bytes())))
		}
	}
}

func (s *Sample) fail(counter *uint64, msg string) {
	*counter++
	if s.FirstError == "" {
		s.FirstError = msg
	}
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// discard drains and closes a response body so its connection is reused.
func discard(res *http.Response) {
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
}
